//! Bounded configurations: how many instance slots, databases and log generations the model
//! explores. `small` is quick enough for unit tests, `default` is what `jetspec check` and CI
//! exhaust, `large` gives more log generations for deeper truncation and restore chains.

use std::fmt;

/// Instance slots the state has room for.
pub const MAX_INSTANCES: usize = 2;
/// Databases per slot the state has room for.
pub const MAX_DBS: usize = 2;
/// The highest log generation the state can name (bits of a `u16`).
pub const MAX_GEN_LIMIT: u8 = 15;

/// A bounded configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config {
    /// `small`, `default` or `large`.
    pub name: &'static str,
    /// Instance slots used (at most [`MAX_INSTANCES`]); also `JET_paramMaxInstances`.
    pub instances: u8,
    /// Databases per slot (at most [`MAX_DBS`]).
    pub dbs: u8,
    /// The last log generation; a log roll past it is refused (`JET_errLogSequenceEnd`).
    pub max_gen: u8,
    /// Whether the legacy (single-instance) entry points and mode are explored.
    pub legacy: bool,
}

impl Config {
    /// One instance, one database, three generations.
    pub const SMALL: Config = Config {
        name: "small",
        instances: 1,
        dbs: 1,
        max_gen: 3,
        legacy: true,
    };
    /// Two instances, two databases each, three generations: enough for a full backup that
    /// truncates and an incremental after it.
    pub const DEFAULT: Config = Config {
        name: "default",
        instances: 2,
        dbs: 2,
        max_gen: 3,
        legacy: true,
    };
    /// Two instances, two databases each, four generations: longer backup chains.
    pub const LARGE: Config = Config {
        name: "large",
        instances: 2,
        dbs: 2,
        max_gen: 4,
        legacy: true,
    };

    /// Every named configuration.
    pub const ALL: [Config; 3] = [Config::SMALL, Config::DEFAULT, Config::LARGE];

    /// The configuration named `name`.
    pub fn by_name(name: &str) -> Option<Config> {
        Config::ALL.into_iter().find(|c| c.name == name)
    }

    /// Checks the bounds fit the state's fixed sizes.
    pub fn validate(&self) -> Result<(), String> {
        if self.instances == 0 || usize::from(self.instances) > MAX_INSTANCES {
            return Err(format!(
                "instances must be 1..={MAX_INSTANCES}, not {}",
                self.instances
            ));
        }
        if self.dbs == 0 || usize::from(self.dbs) > MAX_DBS {
            return Err(format!("dbs must be 1..={MAX_DBS}, not {}", self.dbs));
        }
        if self.max_gen < 2 || self.max_gen > MAX_GEN_LIMIT {
            return Err(format!(
                "max_gen must be 2..={MAX_GEN_LIMIT}, not {}",
                self.max_gen
            ));
        }
        Ok(())
    }
}

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} instances, {} databases each, {} log generations)",
            self.name, self.instances, self.dbs, self.max_gen
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_configuration_fits_the_state() {
        for config in Config::ALL {
            config.validate().unwrap();
            assert_eq!(Config::by_name(config.name), Some(config));
        }
    }
}
