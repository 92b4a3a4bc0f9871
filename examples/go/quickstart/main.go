// MID quick start with Go's standard library.
// Needs MID_URL, MID_CLIENT_ID and MID_KEY (a mid_sk_test_ key) in the environment.
// Run: cd examples/go && go run ./quickstart
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"
)

var (
	midURL   = os.Getenv("MID_URL")
	clientID = os.Getenv("MID_CLIENT_ID")
	key      = os.Getenv("MID_KEY")
	client   = &http.Client{Timeout: 10 * time.Second}
)

type consent struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	QR     struct {
		URL string `json:"url"`
		SVG string `json:"svg"`
	} `json:"qr"`
}

func mid(method, path string, body any) (consent, error) {
	var c consent
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return c, err
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, midURL+path, reader)
	if err != nil {
		return c, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("X-Client-ID", clientID)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := client.Do(req)
	if err != nil {
		return c, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return c, err
	}
	if res.StatusCode >= 300 {
		// Errors are {"error":{"code","message","param"?}}.
		return c, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
	}
	return c, json.Unmarshal(raw, &c)
}

func main() {
	if midURL == "" || clientID == "" || key == "" {
		log.Fatal("set MID_URL, MID_CLIENT_ID and MID_KEY")
	}
	// 1. Create a consent: ask +234 803 123 4567 to approve a login.
	c, err := mid("POST", "/consents/auth", map[string]string{
		"recipient": "+2348031234567", "intent": "login", "message": "Log in to Example Shop",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("created consent", c.ID)
	// qr.url is the approval link the person opens on their phone; qr.svg/qr.png
	// are QR images of it to show on your page.
	fmt.Println("approval link:", c.QR.URL)
	fmt.Println("QR image:", midURL+c.QR.SVG)

	// 2. Read it back.
	read, err := mid("GET", "/consents/"+c.ID, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("status:", read.Status)

	// 3. Approve it as the phone would (sandbox, test keys only), then read the outcome.
	if _, err := mid("POST", "/sandbox/consents/"+c.ID+"/approve", nil); err != nil {
		log.Fatal(err)
	}
	done, err := mid("GET", "/consents/"+c.ID, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("final status:", done.Status)
}
