//! The stateright `Model` over the same step function, for stateright's own checkers and its
//! web Explorer. `jetspec check` uses [`crate::search`] instead, which keeps shortest paths; the
//! two agree on the reachable states (a test pins both counts).

use stateright::{Model, Property};

use crate::action::Action;
use crate::generate::{Mode, actions};
use crate::properties::PROPERTIES;
use crate::state::State;
use crate::step::Spec;

impl Model for Spec {
    type State = State;
    type Action = Action;

    fn init_states(&self) -> Vec<State> {
        vec![State::INITIAL]
    }

    fn actions(&self, state: &State, out: &mut Vec<Action>) {
        actions(self, state, Mode::Explore, out);
    }

    fn next_state(&self, last: &State, action: Action) -> Option<State> {
        self.apply(last, &action).0
    }

    fn properties(&self) -> Vec<Property<Self>> {
        // stateright wants `fn` pointers over (model, state); the sentences are ours.
        fn holds<const I: usize>(_: &Spec, state: &State) -> bool {
            (PROPERTIES[I].holds)(state)
        }
        vec![
            Property::always(PROPERTIES[0].name, holds::<0>),
            Property::always(PROPERTIES[1].name, holds::<1>),
            Property::always(PROPERTIES[2].name, holds::<2>),
            Property::always(PROPERTIES[3].name, holds::<3>),
            Property::always(PROPERTIES[4].name, holds::<4>),
            Property::always(PROPERTIES[5].name, holds::<5>),
            Property::always(PROPERTIES[6].name, holds::<6>),
        ]
    }
}
