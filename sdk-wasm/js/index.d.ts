// Types of mid-sdk's public API (hand-written; index.js is the entry).

/** Stable error codes (docs/sdk.md has the mapping from browser errors). */
export type MidErrorCode =
  | 'USER_CANCELLED'
  | 'NOT_SUPPORTED'
  | 'INVALID_DOMAIN'
  | 'CREDENTIAL_EXISTS'
  | 'TIMEOUT'
  | 'SECURITY_ERROR'
  | 'NETWORK'
  | 'UNKNOWN';

export declare class MidError extends Error {
  constructor(code: MidErrorCode, message?: string, cause?: unknown);
  readonly name: 'MidError';
  readonly code: MidErrorCode;
  /** The browser's original error (a DOMException for ceremonies). */
  readonly cause?: unknown;
}

export type Base64URLString = string;
export type AuthenticatorTransport = 'ble' | 'cable' | 'hybrid' | 'internal' | 'nfc' | 'smart-card' | 'usb';

export interface PublicKeyCredentialDescriptorJSON {
  id: Base64URLString;
  type: 'public-key';
  transports?: AuthenticatorTransport[];
}

/** WebAuthn L3 `PublicKeyCredentialCreationOptionsJSON`. */
export interface PublicKeyCredentialCreationOptionsJSON {
  rp: { id?: string; name: string };
  user: { id: Base64URLString; name: string; displayName: string };
  challenge: Base64URLString;
  pubKeyCredParams: { type: 'public-key'; alg: number }[];
  timeout?: number;
  excludeCredentials?: PublicKeyCredentialDescriptorJSON[];
  authenticatorSelection?: {
    authenticatorAttachment?: 'platform' | 'cross-platform';
    residentKey?: 'discouraged' | 'preferred' | 'required';
    requireResidentKey?: boolean;
    userVerification?: 'discouraged' | 'preferred' | 'required';
  };
  hints?: string[];
  attestation?: 'none' | 'indirect' | 'direct' | 'enterprise';
  extensions?: Record<string, unknown>;
}

/** WebAuthn L3 `PublicKeyCredentialRequestOptionsJSON`. */
export interface PublicKeyCredentialRequestOptionsJSON {
  challenge: Base64URLString;
  timeout?: number;
  rpId?: string;
  allowCredentials?: PublicKeyCredentialDescriptorJSON[];
  userVerification?: 'discouraged' | 'preferred' | 'required';
  hints?: string[];
  extensions?: Record<string, unknown>;
}

/** WebAuthn L3 `RegistrationResponseJSON`. */
export interface RegistrationResponseJSON {
  id: Base64URLString;
  rawId: Base64URLString;
  type: 'public-key';
  authenticatorAttachment?: 'platform' | 'cross-platform';
  clientExtensionResults: Record<string, unknown>;
  response: {
    clientDataJSON: Base64URLString;
    attestationObject: Base64URLString;
    authenticatorData?: Base64URLString;
    transports: AuthenticatorTransport[];
    publicKeyAlgorithm?: number;
    publicKey?: Base64URLString;
  };
}

/** WebAuthn L3 `AuthenticationResponseJSON`. */
export interface AuthenticationResponseJSON {
  id: Base64URLString;
  rawId: Base64URLString;
  type: 'public-key';
  authenticatorAttachment?: 'platform' | 'cross-platform';
  clientExtensionResults: Record<string, unknown>;
  response: {
    clientDataJSON: Base64URLString;
    authenticatorData: Base64URLString;
    signature: Base64URLString;
    userHandle?: Base64URLString;
  };
}

/** Registers a passkey. Rejects with a `MidError`. */
export declare function createPasskey(
  optionsJSON: PublicKeyCredentialCreationOptionsJSON | string,
  opts?: { signal?: AbortSignal },
): Promise<RegistrationResponseJSON>;

/** Signs in with a passkey (`mediation: 'conditional'` for autofill). Rejects with a `MidError`. */
export declare function getPasskey(
  optionsJSON: PublicKeyCredentialRequestOptionsJSON | string,
  opts?: { mediation?: 'conditional'; signal?: AbortSignal },
): Promise<AuthenticationResponseJSON>;

export declare function isWebAuthnAvailable(): boolean;
export declare function isPlatformAuthenticatorAvailable(): Promise<boolean>;
export declare function isConditionalMediationAvailable(): Promise<boolean>;

export interface QrOptions {
  /** Width and height in CSS pixels (default 256). */
  size?: number;
  /** Quiet zone in modules (default 4). */
  margin?: number;
  /** Error correction level (default 'M'). */
  ecc?: 'L' | 'M' | 'Q' | 'H';
  /** Accessible name (default "QR code"). */
  label?: string;
}

/** Replaces `element`'s content with an SVG QR code of `text`; resolves with the `<svg>`. */
export declare function renderQr(element: Element, text: string, opts?: QrOptions): Promise<SVGSVGElement>;

export type ConsentStatus = 'pending' | 'scanned' | 'approved' | 'rejected' | 'expired';

/** The consent object of `GET /consents/:id` (DESIGN §4). */
export interface Consent {
  id: string;
  object: 'consent';
  clientId: string;
  recipient: string;
  intent: string;
  message?: string | null;
  metadata?: Record<string, unknown> | null;
  status: ConsentStatus;
  livemode: boolean;
  createdAt: string;
  expiresAt: string;
  scannedAt?: string;
  decidedAt?: string;
  user?: string;
  device?: string;
  [field: string]: unknown;
}

export interface WatchConsentOptions {
  /** MID's origin, e.g. "https://mid.example"; defaults to the page's own origin. */
  baseUrl?: string;
  consentId: string;
  clientSecret: string;
  /** Called on every status change (not repeated for the same status). */
  onStatus?: (consent: Consent) => void;
  /** Aborting rejects with MidError USER_CANCELLED. */
  signal?: AbortSignal;
}

/** Resolves with the consent once approved, rejected or expired. */
export declare function watchConsent(opts: WatchConsentOptions): Promise<Consent>;

export interface ShowConsentOptions extends WatchConsentOptions {
  /** The text of the QR code: the consent's `qr.url`. */
  qrText: string;
  /** QR size in CSS pixels. */
  size?: number;
  /** QR accessible name. */
  label?: string;
}

/** QR code + status line inside `element`, then `watchConsent`. */
export declare function showConsent(element: Element, opts: ShowConsentOptions): Promise<Consent>;

export declare function version(): Promise<string>;

export declare const base64url: {
  encode(bytes: Uint8Array): Promise<Base64URLString>;
  decode(text: Base64URLString): Promise<Uint8Array | undefined>;
};
