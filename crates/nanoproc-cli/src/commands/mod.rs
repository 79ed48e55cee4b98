//! One module per subcommand.

pub mod call;
pub mod inspect;
pub mod keygen;
pub mod run;
pub mod sign;
pub mod verify;
pub mod verify_receipt;
