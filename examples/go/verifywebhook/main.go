// Verifies a MID webhook delivery: both the Standard Webhooks header signature
// and the body's "signature" member.
// Usage: MID_WEBHOOK_SECRET=whsec_... go run ./verifywebhook HEADERS_FILE BODY_FILE
// (headers as "name: value" lines, the exact body bytes). Prints "valid" or "invalid".
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var bodySignature = regexp.MustCompile(`,"signature":"sha256=([0-9a-f]{64})"}$`)

// Verify: in your server, pass r.Header.Get for the headers and the raw body bytes.
func Verify(secret string, header func(string) string, raw []byte, now time.Time) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := func(parts ...[]byte) []byte {
		m := hmac.New(sha256.New, key)
		for _, p := range parts {
			m.Write(p)
		}
		return m.Sum(nil)
	}
	id, ts, sigs := header("webhook-id"), header("webhook-timestamp"), header("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return false
	}
	// Replay protection: at most 5 minutes away from now.
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(t, 0)).Abs() > 5*time.Minute {
		return false
	}

	// 1. Standard Webhooks: base64 HMAC of "<id>.<timestamp>.<body>"; any one of
	//    the space-separated "v1,<sig>" entries may match (secret rotation).
	expected := mac([]byte(id+"."+ts+"."), raw)
	headerOK := false
	for _, entry := range strings.Split(sigs, " ") {
		version, sig, found := strings.Cut(entry, ",")
		got, err := base64.StdEncoding.DecodeString(sig)
		if found && version == "v1" && err == nil && hmac.Equal(got, expected) {
			headerOK = true
		}
	}
	if !headerOK {
		return false
	}

	// 2. Body signature: hex HMAC of the body without its trailing
	//    ,"signature":"sha256=<hex>" member.
	m := bodySignature.FindSubmatchIndex(raw)
	if m == nil {
		return false
	}
	claimed, err := hex.DecodeString(string(raw[m[2]:m[3]]))
	if err != nil {
		return false
	}
	unsigned := append(bytes.Clone(raw[:m[0]]), '}')
	return hmac.Equal(mac(unsigned), claimed)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: verifywebhook HEADERS_FILE BODY_FILE")
		os.Exit(2)
	}
	headerText, err1 := os.ReadFile(os.Args[1])
	body, err2 := os.ReadFile(os.Args[2])
	if err1 != nil || err2 != nil {
		fmt.Println("invalid")
		os.Exit(1)
	}
	headers := map[string]string{}
	for _, line := range strings.Split(string(headerText), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok {
			headers[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
		}
	}
	header := func(name string) string { return headers[name] }
	if Verify(os.Getenv("MID_WEBHOOK_SECRET"), header, body, time.Now()) {
		fmt.Println("valid")
		return
	}
	fmt.Println("invalid")
	os.Exit(1)
}
