//! The one loop of a source that follows: `ingest ... --follow` and every source task of the daemon
//! run it. Read up to now, then wait for the next poll or the stop, and again. A read that fails is
//! tried again at the next poll (the caller has counted and reported it); one that cannot be
//! retried — a corrupt checkpoint — ends the loop with its error, as the stop ends it with `Ok`.

use super::stop::Stop;
use std::time::Duration;

/// A failure of one read, as the loop sees it.
pub trait ReadFailure: std::fmt::Display {
    /// Whether reading again cannot help (a corrupt checkpoint): the loop ends, the source stops.
    fn is_fatal(&self) -> bool;
}

/// One read up to now of a source that follows (and whatever its caller counts and reports).
pub trait Reads {
    type Error: ReadFailure;
    fn read(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Runs `reads` once, or with `every` again every that long until `stop`; `name` says whose reads
/// these are in the log line of a failed one.
pub async fn follow<R: Reads>(name: &str, every: Option<Duration>, stop: &Stop, reads: &mut R) -> Result<(), R::Error> {
    loop {
        let result = reads.read().await;
        let Some(every) = every else { return result };
        match result {
            Err(e) if e.is_fatal() => return Err(e),
            Err(e) => tracing::warn!(source = name, "{e}; trying again in {} s", every.as_secs_f64()),
            Ok(()) => {}
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = stop.wait() => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Failed(bool);

    impl std::fmt::Display for Failed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(if self.0 { "corrupt" } else { "throttled" })
        }
    }

    impl ReadFailure for Failed {
        fn is_fatal(&self) -> bool {
            self.0
        }
    }

    /// Reads that give `results` in turn (then succeed), the stop coming during read `stop_after`.
    struct Script<'a> {
        results: &'a [Result<(), Failed>],
        stop_after: usize,
        stop: Stop,
        n: usize,
    }

    impl Reads for Script<'_> {
        type Error = Failed;
        async fn read(&mut self) -> Result<(), Failed> {
            self.n += 1;
            if self.n >= self.stop_after {
                self.stop.stop();
            }
            match self.results.get(self.n - 1) {
                Some(Err(Failed(fatal))) => Err(Failed(*fatal)),
                _ => Ok(()),
            }
        }
    }

    async fn reads(
        every: Option<u64>,
        results: &[Result<(), Failed>],
        stop_after: usize,
    ) -> (Result<(), Failed>, usize) {
        let mut script = Script { results, stop_after, stop: Stop::default(), n: 0 };
        let stop = script.stop.clone();
        let outcome = follow("test", every.map(Duration::from_secs), &stop, &mut script).await;
        (outcome, script.n)
    }

    struct Case {
        name: &'static str,
        every: Option<u64>,
        /// What the reads return in turn (then `Ok`).
        results: Vec<Result<(), Failed>>,
        /// The read during which the stop comes.
        stop_after: usize,
        want: Result<(), Failed>,
        reads: usize,
    }

    #[tokio::test(start_paused = true)]
    async fn the_loop_reads_until_stopped_and_ends_only_on_a_fatal_failure() {
        let failed = || Err(Failed(false));
        let cases = [
            Case {
                name: "without following, one read and its result",
                every: None,
                results: vec![failed()],
                stop_after: 9,
                want: failed(),
                reads: 1,
            },
            Case {
                name: "following, reads go on until the stop",
                every: Some(10),
                results: vec![],
                stop_after: 3,
                want: Ok(()),
                reads: 3,
            },
            Case {
                name: "a failed read is tried again",
                every: Some(10),
                results: vec![failed(), failed()],
                stop_after: 4,
                want: Ok(()),
                reads: 4,
            },
            Case {
                name: "a corrupt checkpoint ends the loop",
                every: Some(10),
                results: vec![Ok(()), Err(Failed(true))],
                stop_after: 9,
                want: Err(Failed(true)),
                reads: 2,
            },
            Case {
                name: "a stop during a read ends the loop after it",
                every: Some(10),
                results: vec![],
                stop_after: 1,
                want: Ok(()),
                reads: 1,
            },
        ];
        for c in cases {
            let got = reads(c.every, &c.results, c.stop_after).await;
            assert_eq!(got, (c.want, c.reads), "{}", c.name);
        }
    }
}
