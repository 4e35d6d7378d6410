//! JetGetInstanceMiscInfo: one fact about an initialized instance, copied out in the layout of
//! ESE's structure for it. The checks are ESE's, in its order (`jetapi.cxx`
//! JetGetInstanceMiscInfoEx): the instance's entry checks, the info level, then the buffer.
//!
//! - Level 0, `JET_InstanceMiscInfoLogSignature`: the log stream's signature as a
//!   `JET_SIGNATURE` of 28 bytes: `ulRandom` (the low 32 bits of the engine's 64-bit
//!   signature), a `JET_LOGTIME` (8 bytes; here the high 32 bits of the signature, then zeros)
//!   and a 16-byte computer name (zeros: the engine records none).
//! - Level 1, `JET_InstanceMiscInfoCheckpoint`: a `JET_CHECKPOINTINFO` of 16 bytes:
//!   `genMin` (the checkpoint's generation), `genMax` (the current log's), and a `JET_LOGTIME`
//!   (zeros).
//! - Level 2, `JET_InstanceMiscInfoRBS`: the engine keeps no revert snapshot, so, as ESE does
//!   without one, nothing is written and the call succeeds.

use jetapi::JetErr;
use jetapi::limits::{JET_CHECKPOINTINFO_BYTES, JET_RBSINFOMISC_BYTES, JET_SIGNATURE_BYTES};

use crate::engine::{Engine, api_enter, lock};
use crate::handles::InstanceHandle;

impl Engine {
    /// JetGetInstanceMiscInfo: the bytes level `info_level` copies into a buffer of `cb_max`
    /// bytes (empty for level 2).
    pub fn get_instance_misc_info(
        &self,
        instance: InstanceHandle,
        cb_max: usize,
        info_level: u32,
    ) -> Result<Vec<u8>, JetErr> {
        let inst = lock(&self.process).find_checked(instance, self.profile)?;
        api_enter(&lock(&inst.api), false)?;
        let size = match info_level {
            0 => JET_SIGNATURE_BYTES,
            1 => JET_CHECKPOINTINFO_BYTES,
            2 => JET_RBSINFOMISC_BYTES,
            _ => return Err(JetErr::InvalidParameter),
        };
        if cb_max < size {
            return Err(JetErr::BufferTooSmall);
        }
        let slot = lock(&inst.core);
        let core = slot.as_ref().ok_or(JetErr::NotInitialized)?;
        let mut out = Vec::with_capacity(size);
        match info_level {
            0 => {
                let signature = core
                    .log
                    .as_ref()
                    .map(|log| log.signature())
                    .or(core.checkpoint.as_ref().map(|c| c.log_signature))
                    .unwrap_or(0);
                out.extend_from_slice(&(signature as u32).to_le_bytes());
                out.extend_from_slice(&((signature >> 32) as u32).to_le_bytes());
                out.resize(JET_SIGNATURE_BYTES, 0);
            }
            1 => {
                let checkpoint = core.checkpoint.as_ref().map_or(0, |c| c.pos.generation);
                let current = core
                    .log
                    .as_ref()
                    .map_or(checkpoint, |log| log.end().generation);
                out.extend_from_slice(&checkpoint.to_le_bytes());
                out.extend_from_slice(&current.to_le_bytes());
                out.resize(JET_CHECKPOINTINFO_BYTES, 0);
            }
            _ => {}
        }
        debug_assert!(out.is_empty() || out.len() == size);
        Ok(out)
    }
}
