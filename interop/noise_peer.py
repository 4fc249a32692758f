#!/usr/bin/env python3
"""An independent peer for the noise-chat secure stream wire format, version 1.

Written from the specifications only -- shared/PROTOCOL.md (the wire format),
the Noise Protocol Framework revision 34, RFC 7748 (X25519) and RFC 8439
(ChaCha20, Poly1305 and their AEAD) -- without reading the project's
TypeScript implementation, so that the interoperability tests in
test/interop.test.ts compare two implementations and not one with itself.
Python 3.11 standard library only: every primitive that hashlib and hmac do
not provide is implemented here from the RFCs, with plain Python integers.
It is a test tool: it is not constant-time and must not guard real secrets.

Commands (run with -h for the options):

    noise_peer.py selftest             RFC vectors + the project's vectors; exit 0/1
    noise_peer.py connect PORT [opts]  be the initiator, to 127.0.0.1:PORT
    noise_peer.py listen PORT [opts]   be the responder, for one connection
                                       (PORT 0: an ephemeral port, printed)

A session prints one JSON object per line on stdout (listening, handshake,
each frame received, the outcome) and exits with:

    0  the script ran and every expectation held
    1  an expectation failed, or the peer broke the protocol after the handshake
    2  bad command line
    3  the handshake failed (bad message, wrong prologue, closed midway, timeout)
    4  we rejected the peer's static key (--remote-key did not match)
"""

import argparse
from collections import deque
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import time

# --------------------------------------------------------------------------
# X25519, RFC 7748 section 5: the Montgomery ladder on Curve25519 over
# GF(2^255 - 19), with Python integers.
# --------------------------------------------------------------------------

P25519 = 2 ** 255 - 19
A24 = 121665  # (486662 - 2) / 4, RFC 7748 section 5


def _decode_scalar(k: bytes) -> int:
    # Clamp: clear the 3 low bits, clear bit 255, set bit 254 (RFC 7748 s5).
    b = bytearray(k)
    b[0] &= 248
    b[31] &= 127
    b[31] |= 64
    return int.from_bytes(b, 'little')


def _decode_u(u: bytes) -> int:
    # The top bit of the u-coordinate is ignored (masked), then reduced mod p.
    return (int.from_bytes(u, 'little') & ((1 << 255) - 1)) % P25519


def x25519(k: bytes, u: bytes) -> bytes:
    """X25519(k, u): scalar multiplication of the u-coordinate u by k."""
    if len(k) != 32 or len(u) != 32:
        raise ValueError('X25519 takes a 32-byte scalar and a 32-byte u-coordinate')
    scalar = _decode_scalar(k)
    x1 = _decode_u(u)
    x2, z2, x3, z3 = 1, 0, x1, 1
    swap = 0
    p = P25519
    for t in range(254, -1, -1):
        bit = (scalar >> t) & 1
        swap ^= bit
        if swap:  # cswap; a Python branch, so not constant-time (test tool)
            x2, x3 = x3, x2
            z2, z3 = z3, z2
        swap = bit
        a = (x2 + z2) % p
        aa = a * a % p
        b = (x2 - z2) % p
        bb = b * b % p
        e = (aa - bb) % p
        c = (x3 + z3) % p
        d = (x3 - z3) % p
        da = d * a % p
        cb = c * b % p
        x3 = (da + cb) % p
        x3 = x3 * x3 % p
        z3 = (da - cb) % p
        z3 = x1 * (z3 * z3 % p) % p
        x2 = aa * bb % p
        z2 = e * (aa + A24 * e) % p
    if swap:
        x2, x3 = x3, x2
        z2, z3 = z3, z2
    return (x2 * pow(z2, p - 2, p) % p).to_bytes(32, 'little')


X25519_BASE = (9).to_bytes(32, 'little')


def x25519_public(private: bytes) -> bytes:
    return x25519(private, X25519_BASE)


# --------------------------------------------------------------------------
# ChaCha20, RFC 8439 section 2.3 and 2.4.
# --------------------------------------------------------------------------

_M32 = 0xFFFFFFFF
_SIGMA = struct.unpack('<4I', b'expand 32-byte k')
# The state words each quarter round works on (RFC 8439 s2.3): a column
# round, then a diagonal round; ten of these double rounds make 20 rounds.
_QUARTER_ROUNDS = ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
                   (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14))


def chacha20_blocks(key: bytes, inputs) -> list:
    """The 64-byte ChaCha20 blocks (RFC 8439 s2.3) of one 32-byte key for
    each (32-bit block counter, 12-byte nonce) in `inputs`, in order.

    All the blocks are computed at once: each of the 16 state words holds
    that word of every block, one block per 64-bit lane of one big Python
    integer (32 bits of value, 32 bits of room so that the carry of an
    addition never reaches the next lane). Each Python operation then works
    on every block in C, which makes a stream of many small frames (a REKEY
    boundary crossed for real) ~20x faster than one block at a time.
    Masking with M after each addition, and once after a rotation's two
    shifts, keeps the lanes apart: the bits a shift moves out of a lane's
    32 value bits land only in spare upper bits, which the mask clears."""
    count = len(inputs)
    if count == 0:
        return []
    ones = int.from_bytes(struct.pack('<Q', 1) * count, 'little')  # 1 in every lane
    M = ones * _M32

    def lanes(values):
        return int.from_bytes(struct.pack('<%dQ' % count, *values), 'little')

    k = struct.unpack('<8I', key)
    nonces = [struct.unpack('<3I', nonce) for _, nonce in inputs]
    # constants, key, block counter, nonce (s2.3)
    initial = ([c * ones for c in _SIGMA] + [w * ones for w in k]
               + [lanes(c & _M32 for c, _ in inputs)] + [lanes(n[i] for n in nonces) for i in range(3)])
    x = list(initial)
    for _ in range(10):
        for a, b, c, d in _QUARTER_ROUNDS:  # the quarter round, s2.1
            x[a] = (x[a] + x[b]) & M; x[d] ^= x[a]; x[d] = ((x[d] << 16) | (x[d] >> 16)) & M
            x[c] = (x[c] + x[d]) & M; x[b] ^= x[c]; x[b] = ((x[b] << 12) | (x[b] >> 20)) & M
            x[a] = (x[a] + x[b]) & M; x[d] ^= x[a]; x[d] = ((x[d] << 8) | (x[d] >> 24)) & M
            x[c] = (x[c] + x[d]) & M; x[b] ^= x[c]; x[b] = ((x[b] << 7) | (x[b] >> 25)) & M
    # Add the initial state back in (mod 2^32 per lane); serialise little-endian.
    words = [struct.unpack('<%dQ' % count, ((w + i) & M).to_bytes(8 * count, 'little'))
             for w, i in zip(x, initial)]
    pack = struct.Struct('<16I').pack
    return [pack(*(word[j] for word in words)) for j in range(count)]


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, 'little') ^ int.from_bytes(b, 'little')).to_bytes(len(a), 'little')


def chacha20_block(key: bytes, counter: int, nonce: bytes) -> bytes:
    return chacha20_blocks(key, [(counter, nonce)])[0]


def chacha20_xor(key: bytes, counter: int, nonce: bytes, data: bytes) -> bytes:
    """ChaCha20 encryption (RFC 8439 s2.4): XOR data with the key stream that
    starts at block `counter`. Encryption and decryption are the same."""
    if not data:
        return b''
    blocks = chacha20_blocks(key, [(counter + i, nonce) for i in range((len(data) + 63) // 64)])
    return _xor(data, b''.join(blocks)[:len(data)])


# --------------------------------------------------------------------------
# Poly1305, RFC 8439 section 2.5.
# --------------------------------------------------------------------------

_P1305 = (1 << 130) - 5
_R_CLAMP = 0x0ffffffc0ffffffc0ffffffc0fffffff


def poly1305(key: bytes, msg: bytes) -> bytes:
    """The 16-byte Poly1305 tag of msg under a 32-byte one-time key."""
    r = int.from_bytes(key[:16], 'little') & _R_CLAMP
    s = int.from_bytes(key[16:32], 'little')
    p = _P1305
    acc = 0
    for i in range(0, len(msg), 16):
        # Each block is read as a little-endian number with a 0x01 byte
        # appended (so a short last block is padded by that one bit).
        n = int.from_bytes(msg[i:i + 16] + b'\x01', 'little')
        acc = (acc + n) * r % p
    return ((acc + s) & ((1 << 128) - 1)).to_bytes(16, 'little')


# --------------------------------------------------------------------------
# AEAD_CHACHA20_POLY1305, RFC 8439 section 2.8.
# --------------------------------------------------------------------------

class DecryptError(Exception):
    """An AEAD tag did not verify."""


def _pad16(n: int) -> bytes:
    return b'\x00' * ((16 - n % 16) % 16)


def _aead_mac_data(ad: bytes, ct: bytes) -> bytes:
    return b''.join((ad, _pad16(len(ad)), ct, _pad16(len(ct)),
                     struct.pack('<QQ', len(ad), len(ct))))


def aead_encrypt(key: bytes, nonce: bytes, ad: bytes, plaintext: bytes) -> bytes:
    """Ciphertext followed by the 16-byte tag."""
    otk = chacha20_block(key, 0, nonce)[:32]  # Poly1305 key: block 0 (s2.6)
    ct = chacha20_xor(key, 1, nonce, plaintext)  # data from block 1
    return ct + poly1305(otk, _aead_mac_data(ad, ct))


def aead_decrypt(key: bytes, nonce: bytes, ad: bytes, data: bytes) -> bytes:
    if len(data) < 16:
        raise DecryptError('ciphertext shorter than a tag')
    ct, tag = data[:-16], data[-16:]
    otk = chacha20_block(key, 0, nonce)[:32]
    if not hmac.compare_digest(poly1305(otk, _aead_mac_data(ad, ct)), tag):
        raise DecryptError('authentication tag mismatch')
    return chacha20_xor(key, 1, nonce, ct)


def _keystreams(key: bytes, items):
    """For each (nonce, length): the Poly1305 key (block 0) and `length`
    bytes of key stream (blocks 1..), all from one chacha20_blocks batch."""
    requests = []
    for nonce, length in items:
        requests.extend((c, nonce) for c in range(1 + (length + 63) // 64))
    blocks = chacha20_blocks(key, requests)
    out, i = [], 0
    for nonce, length in items:
        nblocks = (length + 63) // 64
        out.append((blocks[i][:32], b''.join(blocks[i + 1:i + 1 + nblocks])[:length]))
        i += 1 + nblocks
    return out


def aead_encrypt_many(key: bytes, items) -> list:
    """aead_encrypt for many (nonce, plaintext) pairs under one key, ad empty."""
    out = []
    for (nonce, pt), (otk, stream) in zip(items, _keystreams(key, [(n, len(p)) for n, p in items])):
        ct = _xor(pt, stream)
        out.append(ct + poly1305(otk, _aead_mac_data(EMPTY, ct)))
    return out


def aead_decrypt_many(key: bytes, items):
    """aead_decrypt for many (nonce, ciphertext) pairs under one key, ad
    empty, in order: (plaintexts of the ones before the first failure, the
    DecryptError or None). Nothing after a failed one is opened."""
    sizes = [(nonce, max(len(ct) - 16, 0)) for nonce, ct in items]
    out = []
    for (nonce, data), (otk, stream) in zip(items, _keystreams(key, sizes)):
        ct, tag = data[:-16], data[-16:]
        if len(data) < 16 or not hmac.compare_digest(poly1305(otk, _aead_mac_data(EMPTY, ct)), tag):
            return out, DecryptError('authentication tag mismatch')
        out.append(_xor(ct, stream))
    return out, None


# --------------------------------------------------------------------------
# Noise Protocol Framework, revision 34: Noise_XX_25519_ChaChaPoly_BLAKE2b.
# --------------------------------------------------------------------------

PROTOCOL_NAME = b'Noise_XX_25519_ChaChaPoly_BLAKE2b'
HASHLEN = 64  # BLAKE2b-512
DHLEN = 32
MAX_NONCE = 2 ** 64 - 1  # reserved: used only by REKEY (Noise s4.2, s5.1)
EMPTY = b''


def noise_nonce(n: int) -> bytes:
    """ChaChaPoly's 96-bit nonce (Noise s12.3): 32 zero bits, then the
    64-bit counter little-endian -- all 64 bits of it."""
    return b'\x00\x00\x00\x00' + n.to_bytes(8, 'little')


def HASH(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=HASHLEN).digest()


def HMAC_HASH(key: bytes, data: bytes) -> bytes:
    # RFC 2104 HMAC over BLAKE2b (block length 128), as Noise s4.3 requires.
    return hmac.new(key, data, hashlib.blake2b).digest()


def HKDF(chaining_key: bytes, ikm: bytes, num_outputs: int):
    """Noise s4.3: HKDF with HMAC-HASH, the chaining key as salt."""
    temp_key = HMAC_HASH(chaining_key, ikm)
    out1 = HMAC_HASH(temp_key, b'\x01')
    out2 = HMAC_HASH(temp_key, out1 + b'\x02')
    if num_outputs == 2:
        return out1, out2
    return out1, out2, HMAC_HASH(temp_key, out2 + b'\x03')


def ENCRYPT(k: bytes, n: int, ad: bytes, plaintext: bytes) -> bytes:
    return aead_encrypt(k, noise_nonce(n), ad, plaintext)


def DECRYPT(k: bytes, n: int, ad: bytes, ciphertext: bytes) -> bytes:
    return aead_decrypt(k, noise_nonce(n), ad, ciphertext)


def REKEY(k: bytes) -> bytes:
    """Noise s4.2 / PROTOCOL.md s5: the first 32 bytes of
    ENCRYPT(k, 2^64 - 1, empty, 32 zero bytes)."""
    return ENCRYPT(k, MAX_NONCE, EMPTY, b'\x00' * 32)[:32]


class CipherState:
    """Noise s5.1: a key (or none) and a 64-bit nonce counter."""

    def __init__(self, k=None):
        self.k = k
        self.n = 0

    def has_key(self) -> bool:
        return self.k is not None

    def encrypt_with_ad(self, ad: bytes, plaintext: bytes) -> bytes:
        if self.k is None:
            return plaintext
        if self.n >= MAX_NONCE:
            raise ProtocolError('nonce exhausted')
        ct = ENCRYPT(self.k, self.n, ad, plaintext)
        self.n += 1
        return ct

    def decrypt_with_ad(self, ad: bytes, ciphertext: bytes) -> bytes:
        if self.k is None:
            return ciphertext
        if self.n >= MAX_NONCE:
            raise ProtocolError('nonce exhausted')
        pt = DECRYPT(self.k, self.n, ad, ciphertext)  # n advances only on success
        self.n += 1
        return pt


class SymmetricState:
    """Noise s5.2: the chaining key ck, the handshake hash h, a CipherState."""

    def __init__(self, protocol_name: bytes):
        if len(protocol_name) <= HASHLEN:
            self.h = protocol_name + b'\x00' * (HASHLEN - len(protocol_name))
        else:
            self.h = HASH(protocol_name)
        self.ck = self.h
        self.cipher = CipherState()

    def mix_key(self, ikm: bytes):
        self.ck, temp_k = HKDF(self.ck, ikm, 2)
        self.cipher = CipherState(temp_k[:32])  # HASHLEN 64: truncate to 32

    def mix_hash(self, data: bytes):
        self.h = HASH(self.h + data)

    def encrypt_and_hash(self, plaintext: bytes) -> bytes:
        ct = self.cipher.encrypt_with_ad(self.h, plaintext)
        self.mix_hash(ct)
        return ct

    def decrypt_and_hash(self, ciphertext: bytes) -> bytes:
        pt = self.cipher.decrypt_with_ad(self.h, ciphertext)
        self.mix_hash(ciphertext)
        return pt

    def split(self):
        temp_k1, temp_k2 = HKDF(self.ck, EMPTY, 2)
        return CipherState(temp_k1[:32]), CipherState(temp_k2[:32])


# Noise s7.5, pattern XX. No pre-messages.
XX_PATTERN = (('e',), ('e', 'ee', 's', 'es'), ('s', 'se'))


class HandshakeState:
    """Noise s5.3, specialised to the tokens XX uses (e, s, ee, es, se)."""

    def __init__(self, initiator: bool, prologue: bytes, s_priv: bytes, e_priv=None):
        self.initiator = initiator
        self.ss = SymmetricState(PROTOCOL_NAME)
        self.ss.mix_hash(prologue)
        self.s = (s_priv, x25519_public(s_priv))
        self.fixed_e = e_priv  # test vectors fix the ephemeral key
        self.e = None
        self.rs = None
        self.re = None
        self.index = 0  # next message pattern

    def _dh(self, token: str) -> bytes:
        # ee: e with re; es: the initiator's e with the responder's s;
        # se: the initiator's s with the responder's e (Noise s5.3).
        if token == 'ee':
            return x25519(self.e[0], self.re)
        if token == 'es':
            return x25519(self.e[0], self.rs) if self.initiator else x25519(self.s[0], self.re)
        if token == 'se':
            return x25519(self.s[0], self.re) if self.initiator else x25519(self.e[0], self.rs)
        raise ValueError(token)

    def write_message(self, payload: bytes) -> bytes:
        out = []
        for token in XX_PATTERN[self.index]:
            if token == 'e':
                e_priv = self.fixed_e if self.fixed_e is not None else os.urandom(32)
                self.e = (e_priv, x25519_public(e_priv))
                out.append(self.e[1])
                self.ss.mix_hash(self.e[1])
            elif token == 's':
                out.append(self.ss.encrypt_and_hash(self.s[1]))
            else:
                self.ss.mix_key(self._dh(token))
        out.append(self.ss.encrypt_and_hash(payload))
        self.index += 1
        return b''.join(out)

    def read_message(self, message: bytes) -> bytes:
        pos = 0
        for token in XX_PATTERN[self.index]:
            if token == 'e':
                self.re = message[pos:pos + DHLEN]
                if len(self.re) != DHLEN:
                    raise ProtocolError('handshake message too short for e')
                pos += DHLEN
                self.ss.mix_hash(self.re)
            elif token == 's':
                size = DHLEN + 16 if self.ss.cipher.has_key() else DHLEN
                if len(message) - pos < size:
                    raise ProtocolError('handshake message too short for s')
                self.rs = self.ss.decrypt_and_hash(message[pos:pos + size])
                pos += size
            else:
                self.ss.mix_key(self._dh(token))
        payload = self.ss.decrypt_and_hash(message[pos:])
        self.index += 1
        return payload

    def complete(self) -> bool:
        return self.index == len(XX_PATTERN)

    @property
    def handshake_hash(self) -> bytes:
        return self.ss.h


# --------------------------------------------------------------------------
# The secure stream's transport (PROTOCOL.md s4 and s5).
# --------------------------------------------------------------------------

DATA, END, PING, ABORT = 0, 1, 2, 3
TYPE_NAMES = {DATA: 'DATA', END: 'END', PING: 'PING', ABORT: 'ABORT'}
MAX_BODY = {DATA: 65518, END: 0, PING: 0, ABORT: 1024}
REKEY_INTERVAL = 65536
LAST_NONCE = 2 ** 64 - 2
TAG_BYTES = 16


class ProtocolError(Exception):
    """The peer (or we) broke PROTOCOL.md."""


class Direction:
    """One direction of the transport: a key and the nonce of the next frame.
    REKEY happens lazily, right before the frame whose nonce is a positive
    multiple of 65536 (PROTOCOL.md s5); the nonce is never reset."""

    def __init__(self, key: bytes):
        self.k = key
        self.n = 0

    def _key_for_next(self) -> bytes:
        if self.n > LAST_NONCE:
            raise ProtocolError('nonce exhausted (next nonce %d > 2^64 - 2)' % self.n)
        if self.n > 0 and self.n % REKEY_INTERVAL == 0:
            self.k = REKEY(self.k)
        return self.k

    def seal(self, ftype: int, body: bytes) -> bytes:
        """The wire frame (length prefix included) of one transport frame."""
        if len(body) > MAX_BODY[ftype]:
            raise ValueError('%s body of %d bytes is too long' % (TYPE_NAMES[ftype], len(body)))
        ct = ENCRYPT(self._key_for_next(), self.n, EMPTY, bytes([ftype]) + body)
        self.n += 1
        return struct.pack('>H', len(ct)) + ct

    def open(self, frame_body: bytes):
        """Decrypt and check one frame body: (type, body, nonce used)."""
        if len(frame_body) < 1 + TAG_BYTES:
            raise ProtocolError('frame of %d bytes is too short for a type byte and a tag' % len(frame_body))
        n = self.n
        try:
            pt = DECRYPT(self._key_for_next(), n, EMPTY, frame_body)
        except DecryptError:
            raise ProtocolError('frame at nonce %d failed to decrypt' % n)
        self.n += 1
        ftype, body = pt[0], pt[1:]
        if ftype not in MAX_BODY:
            raise ProtocolError('unknown frame type 0x%02x' % ftype)
        if len(body) > MAX_BODY[ftype]:
            raise ProtocolError('%s body of %d bytes is too long' % (TYPE_NAMES[ftype], len(body)))
        return ftype, body, n

    def _batch_room(self, limit: int) -> int:
        # A batch shares one key, so it stops at the next REKEY boundary
        # (and at the last usable nonce).
        return min(limit, REKEY_INTERVAL - self.n % REKEY_INTERVAL, LAST_NONCE + 1 - self.n)

    def seal_many(self, frames) -> bytes:
        """seal() for a list of (type, body), batched: the same bytes."""
        out = []
        i = 0
        while i < len(frames):
            key = self._key_for_next()
            chunk = frames[i:i + self._batch_room(2048)]
            for ftype, body in chunk:
                if len(body) > MAX_BODY[ftype]:
                    raise ValueError('%s body of %d bytes is too long' % (TYPE_NAMES[ftype], len(body)))
            cts = aead_encrypt_many(key, [(noise_nonce(self.n + j), bytes([t]) + b)
                                          for j, (t, b) in enumerate(chunk)])
            out.extend(struct.pack('>H', len(ct)) + ct for ct in cts)
            self.n += len(chunk)
            i += len(chunk)
        return b''.join(out)

    def open_many(self, bodies):
        """open() for a list of frame bodies, batched, in order: (the
        results before the first bad frame, the ProtocolError or None)."""
        results = []
        i = 0
        while i < len(bodies):
            key = self._key_for_next()
            chunk = bodies[i:i + self._batch_room(2048)]
            short = next((j for j, b in enumerate(chunk) if len(b) < 1 + TAG_BYTES), None)
            if short is not None:
                chunk = chunk[:short]
            pts, err = aead_decrypt_many(key, [(noise_nonce(self.n + j), b) for j, b in enumerate(chunk)])
            for pt in pts:
                ftype, body = pt[0], pt[1:]
                if ftype not in MAX_BODY:
                    return results, ProtocolError('unknown frame type 0x%02x' % ftype)
                if len(body) > MAX_BODY[ftype]:
                    return results, ProtocolError('%s body of %d bytes is too long' % (TYPE_NAMES[ftype], len(body)))
                results.append((ftype, body, self.n))
                self.n += 1
            if err is not None:
                return results, ProtocolError('frame at nonce %d failed to decrypt' % self.n)
            if short is not None:
                return results, ProtocolError('frame of %d bytes is too short for a type byte and a tag'
                                              % len(bodies[i + short]))
            i += len(chunk)
        return results, None


def frame(body: bytes) -> bytes:
    if not 1 <= len(body) <= 65535:
        raise ValueError('frame body must be 1..65535 bytes')
    return struct.pack('>H', len(body)) + body


# --------------------------------------------------------------------------
# Sockets: a frame reader, the two handshake roles, the scripted session.
# --------------------------------------------------------------------------

class Closed(Exception):
    """The connection ended (EOF or reset) where a frame was awaited."""


class FrameReader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()
        self.pos = 0

    def _fill(self, need: int):
        while len(self.buf) - self.pos < need:
            try:
                chunk = self.sock.recv(262144)
            except ConnectionResetError:
                chunk = b''
            if not chunk:
                raise Closed('%d bytes pending' % (len(self.buf) - self.pos))
            if self.pos > 1 << 20:  # compact now and then
                del self.buf[:self.pos]
                self.pos = 0
            self.buf += chunk

    def pending(self) -> int:
        return len(self.buf) - self.pos

    def read_frame(self) -> bytes:
        """The next frame body; Closed on EOF. A zero length is an error."""
        self._fill(2)
        (length,) = struct.unpack_from('>H', self.buf, self.pos)
        if length == 0:
            raise ProtocolError('zero-length frame')
        self._fill(2 + length)  # never more than 65535 bytes for one frame
        body = bytes(self.buf[self.pos + 2:self.pos + 2 + length])
        self.pos += 2 + length
        return body

    def take_buffered(self, limit: int) -> list:
        """The complete frames already received, without waiting, up to
        `limit` bytes; stops before a zero-length frame (read_frame reports
        it once the frames before it are handled)."""
        out, size = [], 0
        while size < limit and len(self.buf) - self.pos >= 2:
            (length,) = struct.unpack_from('>H', self.buf, self.pos)
            if length == 0 or len(self.buf) - self.pos < 2 + length:
                break
            out.append(bytes(self.buf[self.pos + 2:self.pos + 2 + length]))
            self.pos += 2 + length
            size += length
        return out


def emit(event: str, **fields):
    # Integers past 2^53 (nonces near 2^64) are written as strings: a
    # JavaScript reader's JSON.parse would round them.
    fields = {'event': event, **{k: str(v) if type(v) is int and abs(v) >= 2 ** 53 else v
                                 for k, v in fields.items()}}
    sys.stdout.write(json.dumps(fields) + '\n')
    sys.stdout.flush()


class Outcome(Exception):
    """Ends a session with an exit code."""

    def __init__(self, code: int, event: str, **fields):
        super().__init__(event)
        self.code = code
        self.event = event
        self.fields = fields


def handshake_initiator(sock, reader, args):
    hs = HandshakeState(True, args.prologue, args.static)
    sock.sendall(frame(hs.write_message(EMPTY)))  # msg1: -> e
    try:
        msg2 = reader.read_frame()
        if len(msg2) < 96:
            raise ProtocolError('msg2 body of %d bytes is under 96' % len(msg2))
        hs.read_message(msg2)  # payload ignored (reserved, s3)
    except (Closed, ProtocolError, DecryptError, socket.timeout) as err:
        raise Outcome(3, 'handshake-failed', stage='msg2', reason=describe(err))
    # Decide on the responder's key BEFORE msg3, so a rejected server never
    # learns who we are (s3): close without sending msg3.
    if args.remote_key is not None and hs.rs != args.remote_key:
        raise Outcome(4, 'rejected-remote-key', remote_static=hs.rs.hex(), sent_msg3=False)
    sock.sendall(frame(hs.write_message(args.handshake_payload)))  # msg3: -> s, se
    c1, c2 = hs.ss.split()
    return hs, Direction(c1.k), Direction(c2.k)  # initiator sends c1, receives c2


def handshake_responder(sock, reader, args):
    hs = HandshakeState(False, args.prologue, args.static)
    try:
        msg1 = reader.read_frame()
        if len(msg1) != 32:
            raise ProtocolError('msg1 body of %d bytes, not 32' % len(msg1))
        hs.read_message(msg1)
        sock.sendall(frame(hs.write_message(args.handshake_payload)))  # msg2: <- e, ee, s, es
        try:
            msg3 = reader.read_frame()
        except Closed:
            # Nothing was consumed after msg1, so every byte that came after
            # it is still pending: a peer that refused our key sent none.
            raise Outcome(3, 'handshake-failed', stage='msg3', reason='closed before msg3',
                          bytes_after_msg1=reader.pending())
        if len(msg3) < 64:
            raise ProtocolError('msg3 body of %d bytes is under 64' % len(msg3))
        hs.read_message(msg3)
    except (Closed, ProtocolError, DecryptError, socket.timeout) as err:
        raise Outcome(3, 'handshake-failed', stage='msg1' if hs.index == 0 else 'msg3', reason=describe(err))
    c1, c2 = hs.ss.split()
    send, recv = Direction(c2.k), Direction(c1.k)  # responder sends c2, receives c1
    if args.remote_key is not None and hs.rs != args.remote_key:
        # s3: one ABORT frame with a reason (our first frame: c2, nonce 0),
        # then nothing more; drain what still arrives for a grace period so
        # closing with unread data does not reset the connection.
        sock.sendall(send.seal(ABORT, args.reject_reason.encode('utf-8')))
        drain(sock, 0.5)
        raise Outcome(4, 'rejected-remote-key', remote_static=hs.rs.hex(), sent_abort=args.reject_reason)
    return hs, send, recv


def describe(err) -> str:
    if isinstance(err, socket.timeout):
        return 'timed out'
    if isinstance(err, Closed):
        return 'connection closed (%s)' % err
    return str(err) or type(err).__name__


def drain(sock, seconds: float):
    """Read and discard until EOF or `seconds` pass."""
    deadline = time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            sock.settimeout(left)
            if not sock.recv(65536):
                return
    except OSError:
        return


class Session:
    """Runs the script of actions over an established transport."""

    def __init__(self, sock, reader, send: Direction, recv: Direction, args):
        self.sock, self.reader, self.send, self.recv, self.args = sock, reader, send, recv, args
        self.data = bytearray()  # DATA received and not yet matched by an expectation
        self.peer_ended = False
        self.sent_abort = False
        self.pings = 0
        self.opened = deque()  # frames decrypted ahead, in order
        self.failure = None  # the error after them, if one of the batch was bad

    # ---- receiving ----

    def _receive(self):
        """Wait for a frame, then decrypt it with every frame already
        buffered behind it in one batch (many small frames are the slow
        case in pure Python). A bad frame ends the batch: the ones before
        it are still handled in order, then its error is raised."""
        if self.opened:
            return self.opened.popleft()
        if self.failure is not None:
            raise self.failure
        bodies = [self.reader.read_frame()] + self.reader.take_buffered(1 << 20)
        opened, self.failure = self.recv.open_many(bodies)
        self.opened = deque(opened)
        return self._receive()

    def next_frame(self, quiet=False):
        """Receive and report one frame; raises Closed at EOF."""
        ftype, payload, nonce = self._receive()
        if self.peer_ended:
            raise ProtocolError('a frame arrived after the peer\'s END (s6)')
        if ftype == DATA:
            self.data += payload
            if not quiet:
                emit('data', nonce=nonce, text=payload.decode('utf-8', 'replace'), bytes=len(payload))
        elif ftype == PING:
            self.pings += 1
            emit('ping', nonce=nonce)  # discarded, never "delivered"
        elif ftype == END:
            self.peer_ended = True
            emit('end', nonce=nonce)
        else:
            # s4: invalid UTF-8 is shown with replacement characters.
            emit('abort', nonce=nonce, reason=payload.decode('utf-8', 'replace'))
        return ftype, payload

    def expect_data(self, want: bytes):
        # The peer is a byte stream: its writes may be split or merged into
        # frames, so compare bytes, not frames.
        while len(self.data) < len(want):
            ftype, payload = self.next_frame()
            if ftype in (END, ABORT):
                raise Outcome(1, 'expectation-failed', expected='data', got=TYPE_NAMES[ftype],
                              data_so_far=self.data.decode('utf-8', 'replace'))
        got = bytes(self.data[:len(want)])
        del self.data[:len(want)]
        if got != want:
            raise Outcome(1, 'expectation-failed', expected=want.decode('utf-8', 'replace'),
                          got=got.decode('utf-8', 'replace'))

    def expect_bytes(self, count: int):
        first = self.recv.n
        frames = 0
        while len(self.data) < count:
            ftype, _ = self.next_frame(quiet=True)
            frames += ftype == DATA
            if ftype in (END, ABORT):
                raise Outcome(1, 'expectation-failed', expected='%d bytes' % count,
                              got=TYPE_NAMES[ftype], bytes=len(self.data))
        got = bytes(self.data[:count])
        del self.data[:count]
        emit('bytes', count=count, frames=frames, first_nonce=first, last_nonce=self.recv.n - 1,
             sha256=hashlib.sha256(got).hexdigest())

    def expect_type(self, want: int, reason=None):
        while True:
            ftype, payload = self.next_frame()
            if ftype == want and want != PING and self.data:
                raise Outcome(1, 'expectation-failed', expected=TYPE_NAMES[want],
                              got='unread DATA: ' + self.data.decode('utf-8', 'replace'))
            if ftype == want:
                break
            if ftype != PING:
                raise Outcome(1, 'expectation-failed', expected=TYPE_NAMES[want], got=TYPE_NAMES[ftype])
        if reason is not None and payload.decode('utf-8', 'replace') != reason:
            raise Outcome(1, 'expectation-failed', expected='ABORT ' + reason,
                          got='ABORT ' + payload.decode('utf-8', 'replace'))

    def expect_close(self):
        while True:
            try:
                ftype, _ = self.next_frame()
            except Closed as err:
                emit('closed', pending=str(err))
                return
            if ftype != PING:
                raise Outcome(1, 'expectation-failed', expected='close', got=TYPE_NAMES[ftype])

    # ---- sending ----

    def put(self, ftype: int, body: bytes):
        if self.sent_abort:
            raise Outcome(1, 'script-error', reason='a side that sent ABORT sends nothing more (s4)')
        self.sock.sendall(self.send.seal(ftype, body))
        emit('sent', type=TYPE_NAMES[ftype], nonce=self.send.n - 1, bytes=len(body))
        if ftype == ABORT:
            self.sent_abort = True

    def flood(self, count: int):
        """`count` DATA frames of one byte each (byte i mod 256), sent in
        batches: enough frames to cross a REKEY boundary for real."""
        first = self.send.n
        for start in range(0, count, 4096):
            frames = [(DATA, bytes([i & 0xFF])) for i in range(start, min(count, start + 4096))]
            self.sock.sendall(self.send.seal_many(frames))
        emit('flooded', frames=count, first_nonce=first, last_nonce=self.send.n - 1)

    def run(self, actions):
        for action in actions:
            name, _, arg = action.partition(':')
            if name == 'send':
                self.put(DATA, arg.encode('utf-8'))
            elif name == 'send-hex':
                self.put(DATA, bytes.fromhex(arg))
            elif name == 'send-size':
                self.put(DATA, bytes(i & 0xFF for i in range(int(arg))))
            elif name == 'flood':
                self.flood(int(arg))
            elif name == 'ping':
                self.put(PING, EMPTY)
            elif name == 'end':
                self.put(END, EMPTY)
            elif name == 'abort':
                self.put(ABORT, arg.encode('utf-8'))
            elif name == 'abort-hex':
                self.put(ABORT, bytes.fromhex(arg))
            elif name == 'raw-hex':
                self.sock.sendall(bytes.fromhex(arg))
            elif name == 'close':
                self.sock.close()
                emit('closed-by-us')
                return
            elif name == 'sleep':
                time.sleep(int(arg) / 1000)
            elif name == 'expect-data':
                self.expect_data(arg.encode('utf-8'))
            elif name == 'expect-bytes':
                self.expect_bytes(int(arg))
            elif name == 'expect-ping':
                self.expect_type(PING)
            elif name == 'expect-end':
                self.expect_type(END)
            elif name == 'expect-abort':
                self.expect_type(ABORT, arg if arg else None)
            elif name == 'expect-close':
                self.expect_close()
            else:
                raise Outcome(2, 'usage', reason='unknown action %r' % action)
        # The script is done: stop writing, and read (and report) whatever
        # still comes until the peer closes, so closing with unread data
        # never resets the connection under the peer.
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(self.args.linger)
            while True:
                self.next_frame()
        except (Closed, OSError):
            pass
        except ProtocolError as err:
            raise Outcome(1, 'protocol-error', reason=str(err))


def run_session(sock, initiator: bool, args) -> int:
    sock.settimeout(args.timeout)
    reader = FrameReader(sock)
    try:
        try:
            if initiator:
                hs, send, recv = handshake_initiator(sock, reader, args)
            else:
                hs, send, recv = handshake_responder(sock, reader, args)
        except socket.timeout:
            raise Outcome(3, 'handshake-failed', reason='timed out')
        # Test hook: start both directions at a chosen nonce (the peer must
        # do the same), to cross 65536 or approach 2^64 without the frames.
        if args.send_nonce is not None:
            send.n = args.send_nonce
        if args.recv_nonce is not None:
            recv.n = args.recv_nonce
        emit('handshake', role='initiator' if initiator else 'responder',
             local_static=hs.s[1].hex(), remote_static=hs.rs.hex(),
             handshake_hash=hs.handshake_hash.hex())
        session = Session(sock, reader, send, recv, args)
        try:
            session.run(args.do)
        except Closed as err:
            raise Outcome(1, 'truncated', reason='connection closed: %s' % err)
        except socket.timeout:
            raise Outcome(1, 'timeout', reason='nothing arrived for %ss' % args.timeout)
        except ProtocolError as err:
            raise Outcome(1, 'protocol-error', reason=str(err))
        emit('result', ok=True, pings_received=session.pings)
        return 0
    except Outcome as out:
        emit(out.event, **out.fields)
        return out.code
    finally:
        try:
            sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------
# Self-test: RFC vectors, then the project's vectors.
# --------------------------------------------------------------------------

def _h(s: str) -> bytes:
    return bytes.fromhex(s)


def selftest(fixtures_dir: str) -> int:
    failures = []

    def check(name, ok):
        print(('ok   ' if ok else 'FAIL ') + name)
        if not ok:
            failures.append(name)

    # RFC 7748 s5.2: two scalar multiplications, then the iterated test.
    check('RFC 7748 5.2 vector 1', x25519(
        _h('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
        _h('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c')).hex()
        == 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552')
    check('RFC 7748 5.2 vector 2 (u with its top bit set)', x25519(
        _h('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'),
        _h('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493')).hex()
        == '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957')
    k = u = X25519_BASE
    for i in range(1, 1001):
        k, u = x25519(k, u), k
        if i == 1:
            check('RFC 7748 5.2 iterated, 1 time',
                  k.hex() == '422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079')
    check('RFC 7748 5.2 iterated, 1000 times',
          k.hex() == '684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51')
    # RFC 7748 s6.1: Alice and Bob.
    a_priv = _h('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
    b_priv = _h('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')
    a_pub, b_pub = x25519_public(a_priv), x25519_public(b_priv)
    check('RFC 7748 6.1 Alice public', a_pub.hex() == '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')
    check('RFC 7748 6.1 Bob public', b_pub.hex() == 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
    shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'
    check('RFC 7748 6.1 shared secret, both ways',
          x25519(a_priv, b_pub).hex() == shared and x25519(b_priv, a_pub).hex() == shared)

    # RFC 8439 s2.3.2 block, s2.4.2 encryption, s2.5.2 Poly1305, s2.8.2 AEAD.
    key = bytes(range(32))
    check('RFC 8439 2.3.2 ChaCha20 block', chacha20_block(key, 1, _h('000000090000004a00000000')).hex() ==
          '10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e'
          'd2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e')
    sunscreen = (b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
                 b"for the future, sunscreen would be it.")
    check('RFC 8439 2.4.2 ChaCha20 encryption', chacha20_xor(key, 1, _h('000000000000004a00000000'), sunscreen).hex() ==
          '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b'
          'f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8'
          '07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736'
          '5af90bbf74a35be6b40b8eedf2785e42874d')
    check('RFC 8439 2.5.2 Poly1305', poly1305(
        _h('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b'),
        b'Cryptographic Forum Research Group').hex() == 'a8061dc1305136c6c22b8baf0c0127a9')
    aead_key = bytes(range(0x80, 0xa0))
    aead_nonce = _h('070000004041424344454647')
    aead_ad = _h('50515253c0c1c2c3c4c5c6c7')
    sealed = aead_encrypt(aead_key, aead_nonce, aead_ad, sunscreen)
    check('RFC 8439 2.8.2 AEAD encrypt', sealed.hex() ==
          'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6'
          '3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36'
          '92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc'
          '3ff4def08e4b7a9de576d26586cec64b6116' '1ae10b594f09e26a7e902ecbd0600691')
    check('RFC 8439 2.8.2 AEAD decrypt', aead_decrypt(aead_key, aead_nonce, aead_ad, sealed) == sunscreen)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    try:
        aead_decrypt(aead_key, aead_nonce, aead_ad, tampered)
        check('RFC 8439 AEAD rejects a flipped tag bit', False)
    except DecryptError:
        check('RFC 8439 AEAD rejects a flipped tag bit', True)

    # The batched fast path must give exactly the bytes of the plain one.
    rnd = [(c, os.urandom(12)) for c in (0, 1, 2, 0xFFFFFFFF)]
    check('ChaCha20 blocks in one batch equal blocks one by one',
          chacha20_blocks(key, rnd + [(1, _h('000000090000004a00000000'))])
          == [chacha20_block(key, c, n) for c, n in rnd + [(1, _h('000000090000004a00000000'))]])
    frames = [(DATA, os.urandom(i * 37 % 300)) for i in range(12)] + [(PING, EMPTY), (ABORT, b'why')]
    one, many, back = Direction(key), Direction(key), Direction(key)
    one.n = many.n = back.n = 65530  # the batch must split at the REKEY before 65536
    wire = many.seal_many(frames)
    check('batched seal equals seal across a REKEY', wire == b''.join(one.seal(t, b) for t, b in frames)
          and one.n == many.n and one.k == many.k)
    bodies, pos = [], 0
    while pos < len(wire):
        (length,) = struct.unpack_from('>H', wire, pos)
        bodies.append(wire[pos + 2:pos + 2 + length])
        pos += 2 + length
    got, err = back.open_many(bodies)
    check('batched open reads them back', err is None and [(t, b) for t, b, _ in got] == frames
          and [n for _, _, n in got] == list(range(65530, 65530 + len(frames))))
    bad = list(bodies)
    bad[8] = bad[8][:-1] + bytes([bad[8][-1] ^ 0x80])
    back = Direction(key)
    back.n = 65530
    got, err = back.open_many(bad)
    check('batched open stops at a forged frame, keeping the ones before it',
          isinstance(err, ProtocolError) and len(got) == 8)

    # Cacophony: the public Noise vectors for this protocol name.
    with open(os.path.join(fixtures_dir, 'cacophony-XX-BLAKE2b.json')) as f:
        caco = json.load(f)
    for vi, v in enumerate(caco['vectors']):
        check('cacophony vector %d: %s' % (vi, v['protocol_name']), check_cacophony(v))

    # The project's vectors.
    with open(os.path.join(fixtures_dir, 'secure-stream-v1.json')) as f:
        vec = json.load(f)
    for name, ok in check_project_vectors(vec):
        check('secure-stream-v1: ' + name, ok)

    print('%d failed' % len(failures))
    return 1 if failures else 0


def check_cacophony(v) -> bool:
    init = HandshakeState(True, _h(v['init_prologue']), _h(v['init_static']), _h(v['init_ephemeral']))
    resp = HandshakeState(False, _h(v['resp_prologue']), _h(v['resp_static']), _h(v['resp_ephemeral']))
    msgs = v['messages']
    for i in range(3):  # the handshake: initiator writes 0 and 2, responder 1
        writer, reader = (init, resp) if i % 2 == 0 else (resp, init)
        ct = writer.write_message(_h(msgs[i]['payload']))
        if ct.hex() != msgs[i]['ciphertext'] or reader.read_message(ct).hex() != msgs[i]['payload']:
            return False
    if 'handshake_hash' in v and init.handshake_hash.hex() != v['handshake_hash']:
        return False
    if init.handshake_hash != resp.handshake_hash:
        return False
    i1, i2 = init.ss.split()
    r1, r2 = resp.ss.split()
    for i in range(3, len(msgs)):  # transport: even from the initiator (c1)
        send, recv = (i1, r1) if i % 2 == 0 else (r2, i2)
        ct = send.encrypt_with_ad(EMPTY, _h(msgs[i]['payload']))
        if ct.hex() != msgs[i]['ciphertext'] or recv.decrypt_with_ad(EMPTY, ct).hex() != msgs[i]['payload']:
            return False
    return True


def _vector_handshake(vec, hs_vec):
    keys = vec['keys']
    prologue = _h(hs_vec['prologue_hex'])
    init = HandshakeState(True, prologue, _h(keys['initiator_static']['private']),
                          _h(keys['initiator_ephemeral']['private']))
    resp = HandshakeState(False, prologue, _h(keys['responder_static']['private']),
                          _h(keys['responder_ephemeral']['private']))
    frames = []
    for i, m in enumerate(hs_vec['messages']):
        writer, reader = (init, resp) if i % 2 == 0 else (resp, init)
        wire = frame(writer.write_message(EMPTY))
        reader.read_message(wire[2:])
        frames.append(wire.hex() == m['frame_hex'])
    return init, resp, frames


def check_project_vectors(vec):
    results = []
    keys = vec['keys']
    for who in ('initiator_static', 'initiator_ephemeral', 'responder_static', 'responder_ephemeral'):
        priv = hashlib.blake2b(keys[who]['label'].encode(), digest_size=32).digest()
        results.append(('key %s derived from its label' % who, priv.hex() == keys[who]['private']
                        and x25519_public(priv).hex() == keys[who]['public']))

    init, resp, frames = _vector_handshake(vec, vec['handshake'])
    for name, ok in zip(('msg1', 'msg2', 'msg3'), frames):
        results.append(('handshake %s frame' % name, ok))
    results.append(('handshake hash', init.handshake_hash.hex() == vec['handshake']['handshake_hash']
                    and resp.handshake_hash == init.handshake_hash))
    c1, c2 = init.ss.split()
    results.append(('split c1/c2', c1.k.hex() == vec['handshake']['split']['c1_key']
                    and c2.k.hex() == vec['handshake']['split']['c2_key']))
    keymap = {'c1': c1.k, 'c2': c2.k}

    # Transport frames, each direction counting from 0, sealed and opened.
    senders = {'initiator': Direction(c1.k), 'responder': Direction(c2.k)}
    receivers = {'initiator': Direction(c1.k), 'responder': Direction(c2.k)}
    for f in vec['transport']['frames']:
        ftype = f['type']
        body = bytes(i & 0xFF for i in range(f['body_length'])) if 'body_length' in f else _h(f['body_hex'])
        wire = senders[f['from']].seal(ftype, body)
        if 'frame_hex' in f:
            ok = wire.hex() == f['frame_hex']
        else:
            ok = (hashlib.sha256(wire).hexdigest() == f['frame_sha256']
                  and hashlib.sha256(body).hexdigest() == f['body_sha256']
                  and wire[:32].hex() == f['frame_head_hex'] and wire[-16:].hex() == f['frame_tag_hex'])
        got_type, got_body, n = receivers[f['from']].open(wire[2:])
        ok = ok and got_type == ftype and got_body == body and n == f['nonce']
        results.append(('transport: ' + f['description'], ok))

    # Rekey: the keys, then the frames at 65535, 65536 and 131072.
    rk = vec['rekey']
    k1 = REKEY(_h(rk['key_initial']))
    results.append(('rekey keys after 1 and 2 REKEYs', k1.hex() == rk['key_after_1_rekey']
                    and REKEY(k1).hex() == rk['key_after_2_rekeys']))
    send, recv = Direction(c1.k), Direction(c1.k)
    for f in rk['frames']:
        send.n = recv.n = f['nonce']  # jump straight there; REKEYs happen at multiples
        wire = send.seal(f['type'], _h(f['body_hex']))
        got = recv.open(wire[2:])
        want_key = keymap.get(f['key']) or _h(rk[f['key']])
        results.append(('rekey: ' + f['description'], wire.hex() == f['frame_hex']
                        and got[1] == _h(f['body_hex']) and send.k == want_key))

    # Edge frames: legal, each direction from nonce 0 under c1.
    send, recv = Direction(c1.k), Direction(c1.k)
    for f in vec['edge_frames']['frames']:
        send.n = recv.n = f['nonce']
        wire = send.seal(f['type'], _h(f['body_hex']))
        got = recv.open(wire[2:])
        results.append(('edge: ' + f['description'][:60], wire.hex() == f['frame_hex'] and got[1] == _h(f['body_hex'])))

    # Invalid frames: each, as the responder's first transport frame, is refused.
    for f in vec['invalid_frames']['frames']:
        raw = _h(f['frame_hex'])
        try:
            length = struct.unpack('>H', raw[:2])[0]
            if length == 0:
                raise ProtocolError('zero-length frame')
            Direction(c1.k).open(raw[2:2 + length])
            refused = False
        except ProtocolError:
            refused = True
        results.append(('invalid refused: ' + f['description'][:60], refused))

    # Another prologue: msg1 identical, msg2/msg3 differ, a mismatch fails.
    op = vec['other_prologue_handshake']
    o_init, _, o_frames = _vector_handshake(vec, op)
    results.append(('other prologue: frames and hash', all(o_frames)
                    and o_init.handshake_hash.hex() == op['handshake_hash']))
    mixed = HandshakeState(True, _h(vec['handshake']['prologue_hex']), _h(keys['initiator_static']['private']),
                           _h(keys['initiator_ephemeral']['private']))
    mixed.write_message(EMPTY)
    try:
        mixed.read_message(_h(op['messages'][1]['frame_hex'])[2:])
        results.append(('a noise-chat/1 initiator fails the other-app/1 msg2', False))
    except DecryptError:
        results.append(('a noise-chat/1 initiator fails the other-app/1 msg2', True))
    return results


# --------------------------------------------------------------------------
# Command line.
# --------------------------------------------------------------------------

def _hex32(text: str) -> bytes:
    b = bytes.fromhex(text)
    if len(b) != 32:
        raise argparse.ArgumentTypeError('expected 32 bytes of hex (64 digits)')
    return b


def _nonce(text: str) -> int:
    n = int(text, 0)
    if not 0 <= n <= LAST_NONCE + 1:
        raise argparse.ArgumentTypeError('a nonce is 0 .. 2^64 - 1')
    return n


ACTIONS_HELP = '''actions (--do, repeatable, run in order):
  send:TEXT         DATA frame with UTF-8 TEXT      send-hex:HEX   DATA frame with bytes
  send-size:N       DATA frame of N bytes i%256     flood:N        N one-byte DATA frames
  ping | end        PING / END frame                abort:REASON   ABORT frame
  abort-hex:HEX     ABORT frame, reason as raw bytes
  raw-hex:HEX       raw bytes onto the socket       close          close the socket now
  sleep:MS          pause
  expect-data:TEXT  DATA bytes equal TEXT (frames may split or merge)
  expect-bytes:N    N DATA bytes; prints their count, frames, nonces, sha256
  expect-ping | expect-end | expect-abort[:REASON] | expect-close
PINGs received are reported and otherwise ignored.'''


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='noise_peer.py', description=__doc__.split('\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True)
    st = sub.add_parser('selftest', help='check the primitives and the handshake against the vectors')
    st.add_argument('--fixtures', default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                       '..', 'test', 'fixtures'))
    for name in ('connect', 'listen'):
        p = sub.add_parser(name, epilog=ACTIONS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
                           help='initiator (connect) or responder (listen) on 127.0.0.1')
        p.add_argument('port', type=int)
        p.add_argument('--static', type=_hex32, default=None, help='our static private key, hex (default: random)')
        p.add_argument('--remote-key', type=_hex32, default=None, help='pin: the only remote static public key accepted')
        p.add_argument('--reject-reason', default='key not authorized', help='ABORT reason when the pin fails (responder)')
        p.add_argument('--prologue', default='noise-chat/1')
        p.add_argument('--handshake-payload', type=bytes.fromhex, default=EMPTY, metavar='HEX',
                       help='payload of our msg2/msg3 (v1 sends none; a v1 peer must ignore it)')
        p.add_argument('--start-nonce', type=_nonce, default=None, help='first nonce of both directions')
        p.add_argument('--send-nonce', type=_nonce, default=None)
        p.add_argument('--recv-nonce', type=_nonce, default=None)
        p.add_argument('--timeout', type=float, default=10.0, help='seconds any read may wait')
        p.add_argument('--linger', type=float, default=2.0, help='seconds to wait for the peer to close after the script')
        p.add_argument('--do', action='append', default=[], metavar='ACTION')
    args = parser.parse_args(argv)
    if args.command != 'selftest':
        args.prologue = args.prologue.encode('utf-8')
        if args.static is None:
            args.static = os.urandom(32)
        if args.start_nonce is not None:
            args.send_nonce = args.send_nonce if args.send_nonce is not None else args.start_nonce
            args.recv_nonce = args.recv_nonce if args.recv_nonce is not None else args.start_nonce
    return args


def main(argv) -> int:
    try:
        args = parse_args(argv)
    except SystemExit as exc:
        return 2 if exc.code else 0
    if args.command == 'selftest':
        return selftest(args.fixtures)
    if args.command == 'connect':
        try:
            sock = socket.create_connection(('127.0.0.1', args.port), timeout=args.timeout)
        except OSError as err:
            emit('connect-failed', reason=str(err))
            return 3
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return run_session(sock, True, args)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(('127.0.0.1', args.port))
    server.listen(1)
    emit('listening', port=server.getsockname()[1])
    server.settimeout(args.timeout)
    try:
        sock, _ = server.accept()
    except socket.timeout:
        emit('accept-failed', reason='no connection within %ss' % args.timeout)
        return 3
    finally:
        server.close()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return run_session(sock, False, args)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
