terraform {
  required_version = ">= 1.5"
  required_providers {
    # aws_eks_access_entry arrived in 5.33.
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.33"
    }
    helm = {
      source  = "hashicorp/helm"
      version = ">= 2.12"
    }
  }
}
