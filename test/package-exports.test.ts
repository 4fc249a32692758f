import test from 'brittle'

/*
 * The package as a user imports it: by name, through package.json's
 * "exports" (Node resolves a package's own name from inside it), from the
 * built files. The specifiers are strings at run time so that the type
 * check does not need dist/ to exist yet.
 */
const load = (specifier: string): Promise<Record<string, unknown>> => import(specifier) as Promise<Record<string, unknown>>

test('the entry exports the stream, its server, keys, verifiers, trust files, the chat server and client, and the error classes', async (t) => {
  const api = await load('noise-chat')
  for (const name of [
    'SecureStream', 'acceptAnyKey', 'SecureServer', 'generateKeyPair', 'fingerprint', 'parsePublicKey', 'loadOrCreateKeyPair',
    'hostKeyVerifier', 'verifierFromTrustOptions', 'AuthorizedKeys', 'readKnownHosts', 'ChatServer', 'connectChat',
    'ReconnectingChat', 'NoiseChatError', 'SecureStreamError', 'SecureServerError', 'isNoiseChatError', 'SECURE_STREAM_CODES'
  ]) t.ok(api[name] !== undefined, name)
  for (const name of ['runDemo', 'TerminalView', 'Room', 'secureStreamError', 'chatError', 'constants', 'TunnelServer', 'hexdump']) {
    t.is(api[name], undefined, `${name} is not in the entry`)
  }
})

test('the subpaths export the tools, the chat pieces and the constants', async (t) => {
  const tools = await load('noise-chat/tools')
  for (const name of ['connectSecure', 'pipeStreams', 'TunnelClient', 'TunnelServer', 'Tap', 'hexdump', 'runDemo', 'parseTarget']) t.ok(tools[name] !== undefined, `tools: ${name}`)
  const chat = await load('noise-chat/chat')
  for (const name of ['Room', 'Session', 'formatMessage', 'LineSplitter', 'TerminalView', 'ChatServer']) t.ok(chat[name] !== undefined, `chat: ${name}`)
  const constants = await load('noise-chat/constants')
  t.is(constants['MAX_FRAME_BODY_BYTES'], 65535, 'constants: MAX_FRAME_BODY_BYTES')
  const { SecureStream } = await load('noise-chat')
  const { ChatServer } = await load('noise-chat/chat')
  t.is(ChatServer, (await load('noise-chat'))['ChatServer'], 'one ChatServer class, whichever path it came by')
  t.ok(typeof SecureStream === 'function')
})

test('files outside the documented paths cannot be imported', async (t) => {
  const err = await load('noise-chat/dist/lib/tools/demo.js').then(() => undefined, (e: Error & { code?: string }) => e)
  t.is(err?.code, 'ERR_PACKAGE_PATH_NOT_EXPORTED')
})
