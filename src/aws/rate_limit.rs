//! Keeping within an API's published rate: a token bucket per operation (Security Hub allows
//! GetFindings 3 requests a second with a burst of 6, BatchUpdateFindings 10 with a burst of
//! 30). Callers wait for a token instead of being throttled and retried.

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    pub fn new(per_second: f64, burst: u32) -> Self {
        RateLimiter {
            per_second,
            burst: f64::from(burst),
            state: Mutex::new((f64::from(burst), Instant::now())),
        }
    }

    /// Waits until a request may be sent, and counts it.
    pub async fn acquire(&self) {
        let mut state = self.state.lock().await;
        let (tokens, last) = *state;
        let now = Instant::now();
        let tokens =
            (tokens + now.duration_since(last).as_secs_f64() * self.per_second).min(self.burst);
        if tokens >= 1.0 {
            *state = (tokens - 1.0, now);
            return;
        }
        let wait = Duration::from_secs_f64((1.0 - tokens) / self.per_second);
        tokio::time::sleep(wait).await;
        *state = (0.0, Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_goes_at_once_then_the_rate_holds() {
        let limiter = RateLimiter::new(3.0, 6);
        let start = Instant::now();
        for _ in 0..6 {
            limiter.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(1));
        for _ in 0..9 {
            limiter.acquire().await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        assert!((2.9..3.1).contains(&elapsed), "{elapsed}");
    }
}
