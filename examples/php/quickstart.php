<?php
// MID quick start with PHP 8 and its curl extension.
// Needs MID_URL, MID_CLIENT_ID and MID_KEY (a mid_sk_test_ key) in the environment.
declare(strict_types=1);

$midUrl = getenv('MID_URL');
$clientId = getenv('MID_CLIENT_ID');
$key = getenv('MID_KEY');
if (!$midUrl || !$clientId || !$key) {
    fwrite(STDERR, "set MID_URL, MID_CLIENT_ID and MID_KEY\n");
    exit(1);
}

function mid(string $method, string $path, ?array $body = null): array
{
    global $midUrl, $clientId, $key;
    $headers = ["Authorization: Bearer $key", "X-Client-ID: $clientId"];
    $ch = curl_init($midUrl . $path);
    curl_setopt($ch, CURLOPT_CUSTOMREQUEST, $method);
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
    curl_setopt($ch, CURLOPT_TIMEOUT, 10);
    if ($body !== null) {
        $headers[] = 'Content-Type: application/json';
        curl_setopt($ch, CURLOPT_POSTFIELDS, json_encode($body));
    }
    curl_setopt($ch, CURLOPT_HTTPHEADER, $headers);
    $raw = curl_exec($ch);
    $status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
    if ($raw === false) {
        throw new RuntimeException("$method $path: " . curl_error($ch));
    }
    $json = json_decode($raw, true);
    if ($status >= 300) {
        // Errors are {"error":{"code","message","param"?}}.
        throw new RuntimeException("$method $path: $status {$json['error']['code']}: {$json['error']['message']}");
    }
    return $json;
}

// 1. Create a consent: ask +234 803 123 4567 to approve a login.
$consent = mid('POST', '/consents/auth', [
    'recipient' => '+2348031234567',
    'intent' => 'login',
    'message' => 'Log in to Example Shop',
]);
echo "created consent {$consent['id']}\n";
// qr.url is the approval link the person opens on their phone; qr.svg/qr.png
// are QR images of it to show on your page.
echo "approval link: {$consent['qr']['url']}\n";
echo "QR image: $midUrl{$consent['qr']['svg']}\n";

// 2. Read it back.
echo 'status: ' . mid('GET', "/consents/{$consent['id']}")['status'] . "\n";

// 3. Approve it as the phone would (sandbox, test keys only), then read the outcome.
mid('POST', "/sandbox/consents/{$consent['id']}/approve");
echo 'final status: ' . mid('GET', "/consents/{$consent['id']}")['status'] . "\n";
