# grantscope in EKS: its IAM role (EKS Pod Identity or IRSA), exactly the permissions the code
# calls (../iam/grantscope-policy.json, kept exact by tests/deploy.rs), and the Helm release.
# An example to adapt, not a module: terraform itself does not run in grantscope's tests, which
# check that these files parse and hold what is described here.

locals {
  service_account = "grantscope"
  irsa            = var.identity == "irsa"
}

data "aws_iam_policy_document" "trust" {
  dynamic "statement" {
    for_each = local.irsa ? [] : [1]
    content {
      actions = ["sts:AssumeRole", "sts:TagSession"]
      principals {
        type        = "Service"
        identifiers = ["pods.eks.amazonaws.com"]
      }
    }
  }
  dynamic "statement" {
    for_each = local.irsa ? [1] : []
    content {
      actions = ["sts:AssumeRoleWithWebIdentity"]
      principals {
        type        = "Federated"
        identifiers = [var.oidc_provider_arn]
      }
      condition {
        test     = "StringEquals"
        variable = "${var.oidc_provider_url}:sub"
        values   = ["system:serviceaccount:${var.namespace}:${local.service_account}"]
      }
      condition {
        test     = "StringEquals"
        variable = "${var.oidc_provider_url}:aud"
        values   = ["sts.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role" "grantscope" {
  name               = "grantscope-${var.cluster_name}"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_role_policy" "grantscope" {
  name   = "grantscope"
  role   = aws_iam_role.grantscope.id
  policy = file("${path.module}/../iam/grantscope-policy.json")
}

resource "aws_eks_pod_identity_association" "grantscope" {
  count           = local.irsa ? 0 : 1
  cluster_name    = var.cluster_name
  namespace       = var.namespace
  service_account = local.service_account
  role_arn        = aws_iam_role.grantscope.arn
}

# The role's own access entry, with no policy and no group: in the cluster, the chart's
# ServiceAccount RBAC grants the reads. (Running in ECS instead, give this entry a Kubernetes group
# bound to a read-only ClusterRole like the chart's.)
resource "aws_eks_access_entry" "grantscope" {
  cluster_name  = var.cluster_name
  principal_arn = aws_iam_role.grantscope.arn
  type          = "STANDARD"
}

resource "helm_release" "grantscope" {
  name             = "grantscope"
  chart            = "${path.module}/../helm/grantscope"
  namespace        = var.namespace
  create_namespace = true
  values = compact([
    yamlencode({
      serviceAccount = {
        name        = local.service_account
        annotations = local.irsa ? { "eks.amazonaws.com/role-arn" = aws_iam_role.grantscope.arn } : {}
      }
    }),
    var.chart_values,
  ])
}
