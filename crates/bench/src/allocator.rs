//! Which device makes the next code, and with which code index.
//!
//! The server accepts each (device slot, step, code index) once, ever (SPEC 2.5), and a device
//! has ten code indexes per step. The allocator hands out every (device, index) of the current
//! step at most once, round-robin over its devices so that each is used as often as the others,
//! and starts afresh when the step advances. It never goes back to an earlier step, so a clock
//! that steps backwards cannot make it repeat a code.

use paycode_codec::CodeIndex;

use crate::limits::CODES_PER_STEP;

/// A code to make: device `device` (an index into the allocator's devices), code `index`, of
/// time step `step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    /// Which of the allocator's devices.
    pub device: usize,
    /// The code index inside the step.
    pub index: CodeIndex,
    /// The time step the code is for.
    pub step: u64,
}

/// Hands out unused (device, code index) pairs of the current time step.
#[derive(Debug, Clone)]
pub struct CodeAllocator {
    /// The step being handed out, once one was asked for.
    step: Option<u64>,
    /// Code indexes used so far in `step`, per device.
    used: Vec<u8>,
    /// The device to try next.
    cursor: usize,
    /// Pairs handed out in `step`.
    issued: usize,
}

impl CodeAllocator {
    /// An allocator over `devices` devices, numbered `0..devices`.
    pub fn new(devices: usize) -> CodeAllocator {
        CodeAllocator {
            step: None,
            used: vec![0; devices],
            cursor: 0,
            issued: 0,
        }
    }

    /// How many devices it hands out codes of.
    pub fn devices(&self) -> usize {
        self.used.len()
    }

    /// How many codes it can hand out per step.
    pub fn capacity_per_step(&self) -> usize {
        self.used.len() * usize::from(CODES_PER_STEP)
    }

    /// The next unused (device, code index) for `step`, or `None` when every device has used
    /// all its code indexes of the step. A step earlier than one already handed out is taken
    /// as that later step: a code for it is still inside the server's window, and going back
    /// could repeat a code.
    pub fn next(&mut self, step: u64) -> Option<Allocation> {
        let step = match self.step {
            Some(current) if step <= current => current,
            _ => {
                self.start_step(step);
                step
            }
        };
        if self.issued >= self.capacity_per_step() {
            return None;
        }
        // Bounded: at most one pass over the devices, and one of them has an index left
        // because fewer than the capacity were issued.
        for _ in 0..self.used.len() {
            let device = self.cursor;
            self.cursor = (self.cursor + 1) % self.used.len();
            let used = self.used[device];
            if used < CODES_PER_STEP {
                self.used[device] = used + 1;
                self.issued += 1;
                let index = CodeIndex::new(used).expect("indexes below ten are code indexes");
                return Some(Allocation {
                    device,
                    index,
                    step,
                });
            }
        }
        unreachable!("fewer codes than the capacity were issued, so a device has one left")
    }

    fn start_step(&mut self, step: u64) {
        self.step = Some(step);
        self.used.fill(0);
        self.issued = 0;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn no_device_gets_the_same_index_twice_in_a_step() {
        let mut allocator = CodeAllocator::new(7);
        let mut seen = HashSet::new();
        while let Some(allocation) = allocator.next(100) {
            assert_eq!(allocation.step, 100);
            assert!(
                seen.insert((allocation.device, allocation.index)),
                "{allocation:?} was handed out twice"
            );
        }
        assert_eq!(seen.len(), 70);
        assert_eq!(allocator.next(100), None);
    }

    #[test]
    fn consecutive_codes_move_to_another_device() {
        let mut allocator = CodeAllocator::new(3);
        let devices: Vec<usize> = (0..6).map(|_| allocator.next(5).unwrap().device).collect();
        assert_eq!(devices, [0, 1, 2, 0, 1, 2]);
        let first = allocator.next(5).unwrap();
        assert_eq!((first.device, first.index), (0, CodeIndex::new(2).unwrap()));
    }

    #[test]
    fn an_exhausted_step_starts_afresh_at_the_next_step() {
        let mut allocator = CodeAllocator::new(2);
        for _ in 0..20 {
            allocator.next(9).unwrap();
        }
        assert_eq!(allocator.next(9), None);
        let next = allocator.next(10).unwrap();
        assert_eq!((next.step, next.index), (10, CodeIndex::FIRST));
    }

    #[test]
    fn a_clock_stepping_back_never_reuses_a_code_of_the_later_step() {
        let mut allocator = CodeAllocator::new(1);
        let mut seen = HashSet::new();
        for step in [50, 49, 50, 48, 50, 50, 47, 50, 50, 50] {
            let allocation = allocator.next(step).unwrap();
            assert_eq!(allocation.step, 50);
            assert!(seen.insert(allocation.index), "{allocation:?} repeated");
        }
        assert_eq!(allocator.next(49), None);
    }

    #[test]
    fn an_allocator_without_devices_hands_out_nothing() {
        let mut allocator = CodeAllocator::new(0);
        assert_eq!(allocator.next(1), None);
        assert_eq!(allocator.capacity_per_step(), 0);
    }
}
