//! The pure core of ticket-driven changes (workflow W3): the plan an approver sees and its hash
//! (`plan`), the change record and its state machine (`state`), and the approval policy that judges
//! card presses and `approve`/`decline` commands alike (`policy`). No IO here: the workflow stores
//! each transition with its effects before running them.

mod id;
pub mod plan;
pub mod policy;
pub mod state;
pub mod when;

pub use plan::{Plan, PlanHash, PlanRow, Side};
pub use policy::{judge, ApprovalPolicy, Attempt, Refusal, Verdict, Via};
pub use state::{
    received, transition, Approval, CardRef, ChangeId, ChangeRecord, ChangeState, Decision, Effect,
    Input, NotNow, Step, TicketRef, TicketState, Transition,
};
