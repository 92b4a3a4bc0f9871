<?php
// Verifies a MID webhook delivery: both the Standard Webhooks header signature
// and the body's "signature" member.
// Usage: MID_WEBHOOK_SECRET=whsec_... php verify-webhook.php HEADERS_FILE BODY_FILE
// (headers as "name: value" lines, the exact body bytes). Prints "valid" or "invalid".
declare(strict_types=1);

/**
 * In your server: verify($secret, $headersWithLowerCaseNames, file_get_contents('php://input')).
 */
function verify(string $secret, array $headers, string $raw, ?int $now = null): bool
{
    $key = base64_decode(preg_replace('/^whsec_/', '', $secret), true);
    if ($key === false) {
        return false;
    }
    $id = $headers['webhook-id'] ?? '';
    $ts = $headers['webhook-timestamp'] ?? '';
    $sigs = $headers['webhook-signature'] ?? '';
    if ($id === '' || $sigs === '' || !ctype_digit($ts)) {
        return false;
    }
    // Replay protection: at most 5 minutes away from now.
    if (abs(($now ?? time()) - (int) $ts) > 300) {
        return false;
    }

    // 1. Standard Webhooks: base64 HMAC of "<id>.<timestamp>.<body>"; any one of
    //    the space-separated "v1,<sig>" entries may match (secret rotation).
    $expected = base64_encode(hash_hmac('sha256', "$id.$ts.$raw", $key, true));
    $headerOk = false;
    foreach (explode(' ', $sigs) as $entry) {
        if (str_starts_with($entry, 'v1,') && hash_equals($expected, substr($entry, 3))) {
            $headerOk = true;
        }
    }
    if (!$headerOk) {
        return false;
    }

    // 2. Body signature: hex HMAC of the body without its trailing
    //    ,"signature":"sha256=<hex>" member.
    if (!preg_match('/,"signature":"sha256=([0-9a-f]{64})"}$/D', $raw, $m, PREG_OFFSET_CAPTURE)) {
        return false;
    }
    $unsigned = substr($raw, 0, $m[0][1]) . '}';
    return hash_equals(hash_hmac('sha256', $unsigned, $key), $m[1][0]);
}

if (PHP_SAPI === 'cli' && realpath($argv[0]) === __FILE__) {
    if ($argc !== 3) {
        fwrite(STDERR, "usage: php verify-webhook.php HEADERS_FILE BODY_FILE\n");
        exit(2);
    }
    $headers = [];
    foreach (file($argv[1], FILE_IGNORE_NEW_LINES) ?: [] as $line) {
        $parts = explode(':', $line, 2);
        if (count($parts) === 2) {
            $headers[strtolower(trim($parts[0]))] = trim($parts[1]);
        }
    }
    $ok = verify((string) getenv('MID_WEBHOOK_SECRET'), $headers, (string) file_get_contents($argv[2]));
    echo $ok ? "valid\n" : "invalid\n";
    exit($ok ? 0 : 1);
}
