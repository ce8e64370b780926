//! Rendering aws-auth and access-entry username/group templates exactly as aws-iam-authenticator's
//! `renderTemplate` does (pkg/server/server.go): literal replace-alls, in order, not a template
//! engine. `{{SessionName}}` is the session name with every `@` turned into `-`;
//! `{{SessionNameRaw}}` keeps it; unknown `{{...}}` tokens stay as they are.

/// What a template can refer to.
#[derive(Debug, Clone, Copy)]
pub struct TemplateInput<'a> {
    pub account_id: &'a str,
    /// Empty for IAM users (they have no session).
    pub session_name: &'a str,
    /// Empty when not known (request shapes in the store do not keep it): the token then stays.
    pub access_key_id: &'a str,
}

/// Placeholders a stored request shape cannot fill: the access key id changes with every credential
/// (an event in hand has it), the instance's DNS name needs the EC2 API.
pub const UNRENDERABLE: [&str; 2] = ["{{AccessKeyID}}", "{{EC2PrivateDNSName}}"];

/// Renders one username or group template.
pub fn render(template: &str, input: TemplateInput) -> String {
    if !template.contains("{{") {
        return template.to_string();
    }
    let rendered = template
        .replace("{{AccountID}}", input.account_id)
        .replace("{{SessionName}}", &input.session_name.replace('@', "-"))
        .replace("{{SessionNameRaw}}", input.session_name);
    if input.access_key_id.is_empty() { rendered } else { rendered.replace("{{AccessKeyID}}", input.access_key_id) }
}

/// Whether the template uses a placeholder grantscope cannot fill from an audit event.
pub fn is_renderable(template: &str) -> bool {
    !UNRENDERABLE.iter().any(|p| template.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_follows_the_authenticator() {
        let input = TemplateInput { account_id: "123", session_name: "jdoe@example.com", access_key_id: "ASIAKEY" };
        // Cases from aws-iam-authenticator's TestRenderTemplate.
        let cases = [
            ("SessionName turns @ into -", "a-{{SessionName}}-b", "a-jdoe-example.com-b"),
            ("SessionNameRaw keeps @", "a-{{SessionNameRaw}}-b", "a-jdoe@example.com-b"),
            (
                "all together",
                "a-{{AccountID}}-{{SessionName}}-{{SessionNameRaw}}-b",
                "a-123-jdoe-example.com-jdoe@example.com-b",
            ),
            ("every occurrence is replaced", "{{SessionName}}:{{SessionName}}", "jdoe-example.com:jdoe-example.com"),
            ("unknown tokens stay", "x-{{Unknown}}", "x-{{Unknown}}"),
            ("the access key id, from the event's extra.accessKeyId", "key-{{AccessKeyID}}", "key-ASIAKEY"),
            ("no template", "admin", "admin"),
        ];
        for (name, template, want) in cases {
            assert_eq!(render(template, input), want, "{name}");
        }
        let user = TemplateInput { account_id: "123", session_name: "", access_key_id: "" };
        assert_eq!(render("u-{{SessionName}}", user), "u-", "IAM users have an empty session name");
        assert_eq!(render("k-{{AccessKeyID}}", user), "k-{{AccessKeyID}}", "an unknown key leaves the token");
    }

    #[test]
    fn access_key_and_instance_dns_cannot_be_rendered_from_events() {
        assert!(!is_renderable("key-{{AccessKeyID}}"));
        assert!(!is_renderable("system:node:{{EC2PrivateDNSName}}"));
        assert!(is_renderable("admin:{{SessionName}}"));
    }
}
