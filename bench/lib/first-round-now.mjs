// Preloaded into `node dist/cli/main.js serve` by the serve-memory bench only: the health
// scheduler's first round waits a random share of up to 10 minutes of jitter; with a
// near-zero Math.random it starts at once (crypto randomness is not affected).
Math.random = () => 1e-6;
