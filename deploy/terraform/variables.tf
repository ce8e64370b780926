variable "cluster_name" {
  description = "The EKS cluster grantscope runs in and watches."
  type        = string
}

variable "namespace" {
  description = "Kubernetes namespace of the release."
  type        = string
  default     = "grantscope"
}

variable "identity" {
  description = "How the pod gets its IAM role: \"pod-identity\" (EKS Pod Identity) or \"irsa\" (IAM roles for service accounts)."
  type        = string
  default     = "pod-identity"
  validation {
    condition     = contains(["pod-identity", "irsa"], var.identity)
    error_message = "identity must be \"pod-identity\" or \"irsa\"."
  }
}

variable "oidc_provider_arn" {
  description = "For irsa: the cluster's IAM OIDC provider ARN."
  type        = string
  default     = ""
}

variable "oidc_provider_url" {
  description = "For irsa: the cluster's OIDC issuer URL without https://."
  type        = string
  default     = ""
}

variable "chart_values" {
  description = "Extra Helm values (YAML), e.g. the [[clusters]] to watch."
  type        = string
  default     = ""
}
