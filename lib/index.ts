/**
 * noise-chat: the public API of the package entry. The secure stream and
 * its server, keys, verifiers and trust files, the chat server and client,
 * and the error classes. Everything else is either a documented subpath
 * (`noise-chat/tools`, `noise-chat/chat`, `noise-chat/constants`) or not
 * public at all: every export is a promise to keep.
 */

// Errors: one class per layer, stable codes.
export {
  NoiseChatError, SecureStreamError, SecureServerError, IdentityError, ChatError, ToolError, UsageError, isNoiseChatError,
  SECURE_STREAM_CODES, SECURE_SERVER_CODES, IDENTITY_CODES, CHAT_CODES, TOOL_CODES, CLI_CODES,
  type SecureStreamErrorCode, type SecureServerErrorCode, type IdentityErrorCode, type ChatErrorCode, type ToolErrorCode, type CliErrorCode
} from './errors.js'

// The secure stream, and the one hardened server every noise-chat server uses.
export { SecureStream, type RawStream } from './secure/secure-stream.js'
export { acceptAnyKey, type SecureStreamOptions, type VerifyRemoteKey, type VerifyInfo } from './secure/options.js'
export { SecureServer, type SecureServerOptions, type AcceptFailure, type AcceptedPeer, type VerifyClientKey, type SecureServerLogEvent } from './secure/server.js'

// Keys.
export {
  generateKeyPair, keyPairFromSecretKey, encodePublicKey, parsePublicKey, fingerprint, shortFingerprint, isFingerprint, samePublicKey,
  type KeyPair
} from './secure/keypair.js'
export {
  loadKeyPair, loadOrCreateKeyPair, createdKeyMessage, writeKeyFile, readPublicKeyFile,
  type KeyFile, type PublicKeyFile, type LoadOrCreateOptions, type WrittenKeyFiles
} from './identity/key-file.js'
export { defaultPaths, type ConfigPaths } from './identity/paths.js'

// Verifiers: of a server's key (known hosts, pins, a prompt) and of a client's (authorized keys).
export {
  hostKeyVerifier, parseHostKeyPin,
  type HostKeyVerifierOptions, type HostKeyPolicy, type AskHostKey, type HostKeyQuestion, type RecordedHostKey
} from './identity/host-key-verifier.js'
export { askOnTerminal } from './identity/host-key-prompt.js'
export { verifierFromTrustOptions, trustFromOptions, chooseHostKeyPolicy, type TrustOptions, type TrustTarget, type HostKeyTrust } from './identity/trust-policy.js'
export { openWithHostKeyPolicy, type OpenWithHostKeyOptions, type OpenWithVerifier } from './identity/open-with-host-key.js'

// Trust files.
export {
  AuthorizedKeys, authorizedKeysVerifier, parseAuthorizedKeys,
  type AuthorizedKey, type AuthorizedKeysChange, type LoadAuthorizedKeysOptions
} from './identity/authorized-keys.js'
export {
  readKnownHosts, addKnownHost, forgetKnownHost, matchKnownHost, parseKnownHosts, formatKnownHostLine,
  type KnownHost, type KnownHostMatch, type ForgottenLine
} from './identity/known-hosts.js'

// The chat server and client.
export { ChatServer, type ChatServerOptions, type ChatServerLogEvent, type SharedRoom } from './chat/server.js'
export { connectChat, ChatConnection, ReconnectingChat, isConnectionLoss, type ChatAddress, type ChatClientOptions, type ReconnectingChatOptions } from './chat/client.js'
// One node of a room shared by several servers through Redis (docs/SCALING.md).
export { RedisRoomNode, type RedisRoomOptions } from './chat/redis-room.js'
