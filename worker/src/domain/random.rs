//! Randomness is injected so the domain stays deterministic under test.

/// A source of random bytes. The worker shell backs it with the platform
/// CSPRNG; tests use [`SeqRandom`].
pub trait Random {
    /// Fills `buf` entirely with random bytes.
    fn fill(&mut self, buf: &mut [u8]);

    /// `N` fresh random bytes.
    fn bytes<const N: usize>(&mut self) -> [u8; N]
    where
        Self: Sized,
    {
        let mut out = [0u8; N];
        self.fill(&mut out);
        out
    }
}

/// Deterministic byte counter for tests: 0, 1, 2, ... wrapping.
#[cfg(test)]
pub struct SeqRandom(pub u8);

#[cfg(test)]
impl Random for SeqRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            *b = self.0;
            self.0 = self.0.wrapping_add(1);
        }
    }
}
