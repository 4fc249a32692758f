/** Raw TCP: the ceiling. The "handshake" is the TCP connect the harness already did. */
import { session, type Impl } from './impl.js'

export const tcp: Impl = {
  name: 'tcp',
  label: 'raw TCP',
  prepare () {},
  accept (raw) { return session(raw, Promise.resolve()) },
  connect (raw) { return session(raw, Promise.resolve()) },
  describe () { return 'net.Socket, setNoDelay(true) (no Nagle); connect + close for the handshake figures' }
}
