//! The primitives of an MSE/PE key exchange, for generating real handshakes in tests: SHA-1
//! (FIPS 180-4), RC4 and modular exponentiation modulo the 768-bit MSE prime (Montgomery
//! multiplication over 64-bit limbs). Test code only: none of it is constant-time.

/// The MSE/PE Diffie-Hellman prime (768 bits, the Oakley group 1 prime), big-endian.
pub const MSE_PRIME: [u8; 96] = hex96(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563",
);

const fn hex96(s: &str) -> [u8; 96] {
    let b = s.as_bytes();
    let mut out = [0u8; 96];
    let mut i = 0;
    while i < 96 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'F' => c - b'A' + 10,
        _ => c - b'a' + 10,
    }
}

/// SHA-1 of the concatenation of `parts`.
pub fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut msg: Vec<u8> = parts.concat();
    let bits = (msg.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ];
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5a82_7999),
                20..=39 => (b ^ c ^ d, 0x6ed9_eba1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc),
                _ => (b ^ c ^ d, 0xca62_c1d6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

/// An RC4 key stream.
#[derive(Clone)]
pub struct Rc4 {
    s: [u8; 256],
    i: u8,
    j: u8,
}

impl Rc4 {
    /// RC4 keyed with `key`, the first `discard` bytes of its stream thrown away (MSE
    /// discards 1024).
    pub fn new(key: &[u8], discard: usize) -> Self {
        let mut s = [0u8; 256];
        for (i, x) in s.iter_mut().enumerate() {
            *x = i as u8;
        }
        let mut j = 0u8;
        for i in 0..256 {
            j = j.wrapping_add(s[i]).wrapping_add(key[i % key.len()]);
            s.swap(i, usize::from(j));
        }
        let mut rc4 = Self { s, i: 0, j: 0 };
        let mut sink = vec![0u8; discard];
        rc4.apply(&mut sink);
        rc4
    }

    /// XOR `data` with the next bytes of the stream.
    pub fn apply(&mut self, data: &mut [u8]) {
        for b in data {
            self.i = self.i.wrapping_add(1);
            self.j = self.j.wrapping_add(self.s[usize::from(self.i)]);
            self.s.swap(usize::from(self.i), usize::from(self.j));
            let k = self.s[usize::from(
                self.s[usize::from(self.i)].wrapping_add(self.s[usize::from(self.j)]),
            )];
            *b ^= k;
        }
    }

    /// `data` XORed with the next bytes of the stream.
    pub fn encrypt(&mut self, data: &[u8]) -> Vec<u8> {
        let mut v = data.to_vec();
        self.apply(&mut v);
        v
    }
}

const LIMBS: usize = 12;
type Limbs = [u64; LIMBS];

fn from_be(bytes: &[u8; 96]) -> Limbs {
    let mut l = [0u64; LIMBS];
    for (i, limb) in l.iter_mut().enumerate() {
        let at = 96 - 8 * (i + 1);
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[at..at + 8]);
        *limb = u64::from_be_bytes(w);
    }
    l
}

fn to_be(l: &Limbs) -> [u8; 96] {
    let mut out = [0u8; 96];
    for (i, limb) in l.iter().enumerate() {
        let at = 96 - 8 * (i + 1);
        out[at..at + 8].copy_from_slice(&limb.to_be_bytes());
    }
    out
}

fn geq(a: &Limbs, b: &Limbs) -> bool {
    for i in (0..LIMBS).rev() {
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

fn sub_in_place(a: &mut Limbs, b: &Limbs) {
    let mut borrow = 0u64;
    for i in 0..LIMBS {
        let (d1, b1) = a[i].overflowing_sub(b[i]);
        let (d2, b2) = d1.overflowing_sub(borrow);
        a[i] = d2;
        borrow = u64::from(b1 || b2);
    }
}

/// Arithmetic modulo the MSE prime in Montgomery form (R = 2^768).
struct Field {
    p: Limbs,
    n0: u64,
    r1: Limbs,
    r2: Limbs,
}

impl Field {
    fn new() -> Self {
        let p = from_be(&MSE_PRIME);
        let mut inv = 1u64;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(p[0].wrapping_mul(inv)));
        }
        // R mod P = R - P, since P < R < 2P.
        let mut r1 = [0u64; LIMBS];
        sub_in_place(&mut r1, &p);
        let mut r2 = r1;
        for _ in 0..768 {
            let carry = r2[LIMBS - 1] >> 63;
            for i in (1..LIMBS).rev() {
                r2[i] = (r2[i] << 1) | (r2[i - 1] >> 63);
            }
            r2[0] <<= 1;
            if carry == 1 || geq(&r2, &p) {
                sub_in_place(&mut r2, &p);
            }
        }
        Self {
            p,
            n0: inv.wrapping_neg(),
            r1,
            r2,
        }
    }

    fn mul(&self, a: &Limbs, b: &Limbs) -> Limbs {
        let mut t = [0u64; LIMBS + 2];
        for &bi in b.iter() {
            let mut c = 0u128;
            for j in 0..LIMBS {
                let s = u128::from(t[j]) + u128::from(a[j]) * u128::from(bi) + c;
                t[j] = s as u64;
                c = s >> 64;
            }
            let s = u128::from(t[LIMBS]) + c;
            t[LIMBS] = s as u64;
            t[LIMBS + 1] = (s >> 64) as u64;
            let m = t[0].wrapping_mul(self.n0);
            let mut c = (u128::from(t[0]) + u128::from(m) * u128::from(self.p[0])) >> 64;
            for j in 1..LIMBS {
                let s = u128::from(t[j]) + u128::from(m) * u128::from(self.p[j]) + c;
                t[j - 1] = s as u64;
                c = s >> 64;
            }
            let s = u128::from(t[LIMBS]) + c;
            t[LIMBS - 1] = s as u64;
            t[LIMBS] = t[LIMBS + 1] + (s >> 64) as u64;
        }
        let mut r = [0u64; LIMBS];
        r.copy_from_slice(&t[..LIMBS]);
        if t[LIMBS] != 0 || geq(&r, &self.p) {
            sub_in_place(&mut r, &self.p);
        }
        r
    }

    fn pow(&self, base: &Limbs, exp: &[u8]) -> Limbs {
        let x = self.mul(base, &self.r2);
        let mut acc = self.r1;
        for byte in exp {
            for bit in (0..8).rev() {
                acc = self.mul(&acc, &acc);
                if byte >> bit & 1 == 1 {
                    acc = self.mul(&acc, &x);
                }
            }
        }
        let mut one = [0u64; LIMBS];
        one[0] = 1;
        self.mul(&acc, &one)
    }
}

/// `base ^ exp mod P` (the MSE prime), big-endian 96-byte values, `exp` big-endian of any
/// length.
pub fn mse_pow(base: &[u8; 96], exp: &[u8]) -> [u8; 96] {
    let field = Field::new();
    let mut b = from_be(base);
    if geq(&b, &field.p) {
        sub_in_place(&mut b, &field.p);
    }
    to_be(&field.pow(&b, exp))
}

/// `2 y mod P`: the next public key when the private key grows by one (`g` = 2).
pub fn mse_double(y: &[u8; 96]) -> [u8; 96] {
    let p = from_be(&MSE_PRIME);
    let mut l = from_be(y);
    let carry = l[LIMBS - 1] >> 63;
    for i in (1..LIMBS).rev() {
        l[i] = (l[i] << 1) | (l[i - 1] >> 63);
    }
    l[0] <<= 1;
    if carry == 1 || geq(&l, &p) {
        sub_in_place(&mut l, &p);
    }
    to_be(&l)
}

/// The generator 2 as a 96-byte big-endian value.
pub fn generator() -> [u8; 96] {
    let mut g = [0u8; 96];
    g[95] = 2;
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_known_answers() {
        let hex = |d: [u8; 20]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(
            hex(sha1(&[b"abc"])),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(sha1(&[b""])),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(
            hex(sha1(&[&long[..10], &long[10..]])),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
    }

    #[test]
    fn rc4_known_answer() {
        // RFC 6229, key 0x0102030405, offset 0.
        let mut rc4 = Rc4::new(&[1, 2, 3, 4, 5], 0);
        assert_eq!(
            rc4.encrypt(&[0; 8]),
            [0xb2, 0x39, 0x63, 0x05, 0xf0, 0x3d, 0xc0, 0x27]
        );
    }

    #[test]
    fn diffie_hellman_agrees_and_small_powers_are_exact() {
        let g = generator();
        let (xa, xb) = ([7u8, 1, 99, 200], [3u8, 250, 17]);
        let (ya, yb) = (mse_pow(&g, &xa), mse_pow(&g, &xb));
        assert_eq!(mse_pow(&yb, &xa), mse_pow(&ya, &xb));
        let mut x1 = xa.to_vec();
        *x1.last_mut().unwrap() += 1;
        assert_eq!(mse_double(&ya), mse_pow(&g, &x1));
        // 2^500 < P: a single bit.
        let y = mse_pow(&g, &500u16.to_be_bytes());
        assert_eq!(y[96 - 1 - 500 / 8], 1 << (500 % 8));
        assert_eq!(y.iter().filter(|&&b| b != 0).count(), 1);
        // Fermat: g^(P-1) = 1.
        let mut pm1 = MSE_PRIME;
        pm1[95] -= 1;
        assert_eq!(mse_pow(&g, &pm1)[95], 1);
    }
}
