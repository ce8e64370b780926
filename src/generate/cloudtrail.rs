//! Writes the CloudTrail side of the generated cluster as an S3 delivery file (`{"Records":[...]}`):
//! the calls that set up its access, maybe one principal deleted and re-created, and unrelated noise.

use super::options::GenerateOptions;
use super::rng::Rng;
use crate::model::time;
use std::io::{self, Write};

/// An IAM role's access entry, as the CloudTrail records create it.
pub struct EntrySetup<'a> {
    pub role: &'a str,
    pub groups: &'a [&'a str],
    /// An access policy and the namespaces it is scoped to (none: the whole cluster).
    pub policy: Option<(&'a str, &'a [&'a str])>,
}

/// Writes the records: each entry's role, access entry and policy association, in order, then
/// `recreated` (a role) deleted and re-created after its entry; returns how many.
pub fn write_cloudtrail(
    out: &mut dyn Write,
    opts: &GenerateOptions,
    entries: &[EntrySetup],
    recreated: Option<&str>,
) -> io::Result<u64> {
    let mut rng = Rng::new(opts.seed ^ 0xC10D_7A11);
    let account = &opts.account;
    let cluster = &opts.cluster;
    let mut t = (opts.end_day - i64::from(opts.days)) * time::MS_PER_DAY + 9 * 3_600_000;
    let mut records = Vec::new();
    let mut push = |rng: &mut Rng, t: &mut i64, source: &str, name: &str, request: String, response: &str| {
        *t += 60_000 + rng.below(600_000) as i64;
        let region = if source == "iam.amazonaws.com" { "us-east-1" } else { "eu-west-1" };
        records.push(format!(
            r#"{{"eventVersion":"1.09","userIdentity":{{"type":"AssumedRole","principalId":"AROAPLATFORMTEAM00001:terraform","arn":"arn:aws:sts::{account}:assumed-role/platform-terraform/terraform","accountId":"{account}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROAPLATFORMTEAM00001","arn":"arn:aws:iam::{account}:role/platform-terraform","accountId":"{account}","userName":"platform-terraform"}},"attributes":{{"creationDate":"{}","mfaAuthenticated":"false"}}}}}},"eventTime":"{}","eventSource":"{source}","eventName":"{name}","awsRegion":"{region}","sourceIPAddress":"198.51.100.7","userAgent":"APN/1.0 HashiCorp/1.0 Terraform/1.9.8","requestParameters":{request},"responseElements":{response},"requestID":"{}","eventID":"{}","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"{account}","eventCategory":"Management"}}"#,
            iso(*t - 300_000),
            iso(*t),
            rng.uuid(),
            rng.uuid()
        ));
    };
    push(
        &mut rng,
        &mut t,
        "eks.amazonaws.com",
        "CreateCluster",
        format!(
            r#"{{"name":"{cluster}","accessConfig":{{"authenticationMode":"API_AND_CONFIG_MAP","bootstrapClusterCreatorAdminPermissions":false}}}}"#
        ),
        "null",
    );
    for EntrySetup { role, groups, policy } in entries {
        let arn = format!("arn:aws:iam::{account}:role/{role}");
        let groups: Vec<String> = groups.iter().map(|g| format!("\"{g}\"")).collect();
        push(
            &mut rng,
            &mut t,
            "iam.amazonaws.com",
            "CreateRole",
            format!(r#"{{"roleName":"{role}"}}"#),
            &format!(r#"{{"role":{{"arn":"{arn}","roleName":"{role}","path":"/"}}}}"#),
        );
        push(
            &mut rng,
            &mut t,
            "eks.amazonaws.com",
            "CreateAccessEntry",
            format!(
                r#"{{"name":"{cluster}","principalArn":"{arn}","kubernetesGroups":[{}],"type":"STANDARD"}}"#,
                groups.join(",")
            ),
            &format!(r#"{{"accessEntry":{{"clusterName":"{cluster}","principalArn":"{arn}","type":"STANDARD"}}}}"#),
        );
        if let Some((policy, namespaces)) = policy {
            let scope = if namespaces.is_empty() {
                r#"{"type":"cluster"}"#.to_string()
            } else {
                format!(r#"{{"type":"namespace","namespaces":["{}"]}}"#, namespaces.join(r#"",""#))
            };
            let encoded = arn.replace(':', "%3A").replace('/', "%2F");
            push(
                &mut rng,
                &mut t,
                "eks.amazonaws.com",
                "AssociateAccessPolicy",
                format!(
                    r#"{{"name":"{cluster}","principalArn":"{encoded}","policyArn":"{policy}","accessScope":{scope}}}"#
                ),
                "null",
            );
        }
        // Noise that must be skipped: reads of the same configuration.
        push(
            &mut rng,
            &mut t,
            "eks.amazonaws.com",
            "DescribeAccessEntry",
            format!(r#"{{"name":"{cluster}","principalArn":"{arn}"}}"#),
            "null",
        );
    }
    // A principal deleted and re-created after its access entry: the entry silently stops working.
    if let Some(recreated) = recreated {
        push(&mut rng, &mut t, "iam.amazonaws.com", "DeleteRole", format!(r#"{{"roleName":"{recreated}"}}"#), "null");
        push(
            &mut rng,
            &mut t,
            "iam.amazonaws.com",
            "CreateRole",
            format!(r#"{{"roleName":"{recreated}"}}"#),
            &format!(
                r#"{{"role":{{"arn":"arn:aws:iam::{account}:role/{recreated}","roleName":"{recreated}","path":"/"}}}}"#
            ),
        );
    }
    push(&mut rng, &mut t, "s3.amazonaws.com", "ListBuckets", "null".to_string(), "null");
    out.write_all(b"{\"Records\":[")?;
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(r.as_bytes())?;
    }
    out.write_all(b"]}\n")?;
    Ok(records.len() as u64)
}

fn iso(ms: i64) -> String {
    let s = time::format_rfc3339(ms);
    format!("{}Z", &s[..19])
}
