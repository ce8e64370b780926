//! When each grant was created and removed, as CloudTrail or the EKS API tell it: what the state
//! history of a window is rebuilt from.

use std::collections::HashMap;

/// When grants were created and removed, by lowercase principal ARN.
#[derive(Debug, Default, Clone)]
pub struct GrantTimes {
    /// CreateAccessEntry, or the entry's `createdAt`.
    pub entries: HashMap<String, i64>,
    /// AssociateAccessPolicy (principal, policy ARN), or the association's `associatedAt`.
    pub associations: HashMap<(String, String), i64>,
    /// The latest DeleteAccessEntry or DisassociateAccessPolicy.
    pub removals: HashMap<String, i64>,
}
