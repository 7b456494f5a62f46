# The customer side of keyward's aws-kms provider (docs/how-to/aws-kms.md): a symmetric customer-managed KMS key
# with yearly rotation, a role in your account that only keyward's principal may assume, and only with your
# ExternalId, and a key policy that lets that role Encrypt, Decrypt and DescribeKey this key and nothing else.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
}

# Trust policy: keyward's principal, with your ExternalId (the confused-deputy guard).
data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "KeywardAssumesWithExternalId"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [var.keyward_principal_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.external_id]
    }
  }
}

# keyward asks for 15-minute sessions (the shortest STS allows); max_session_duration only caps them.
resource "aws_iam_role" "keyward" {
  name                 = "keyward-${var.tenant_id}"
  description          = "Assumed by keyward to wrap and unwrap ${var.tenant_id}'s data keys"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "key" {
  # Keeps the key manageable by your account's IAM administrators; without it the key could be locked out.
  statement {
    sid       = "AccountAdministersTheKey"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }

  # Every Encrypt/Decrypt keyward makes carries exactly one encryption context key, keyward:aad
  # (io.keyward.provider.aws.AwsKmsProvider.CONTEXT_KEY); the role cannot decrypt anything else under this key.
  statement {
    sid       = "KeywardWrapsDataKeys"
    effect    = "Allow"
    actions   = ["kms:Encrypt", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.keyward.arn]
    }
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "kms:EncryptionContextKeys"
      values   = ["keyward:aad"]
    }
    condition {
      test     = "Null"
      variable = "kms:EncryptionContextKeys"
      values   = ["false"]
    }
  }

  # DescribeKey carries no encryption context, so it has its own statement without the condition.
  statement {
    sid       = "KeywardReadsKeyState"
    effect    = "Allow"
    actions   = ["kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.keyward.arn]
    }
  }
}

resource "aws_kms_key" "keyward" {
  description              = "keyward: ${var.tenant_id} data keys"
  key_usage                = "ENCRYPT_DECRYPT"
  customer_master_key_spec = "SYMMETRIC_DEFAULT"
  enable_key_rotation      = true # yearly; old key material keeps decrypting, nothing to do in keyward
  deletion_window_in_days  = var.deletion_window_in_days
  policy                   = data.aws_iam_policy_document.key.json

  # Deleting this key deletes your data for good: make Terraform refuse to plan it.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "keyward" {
  name          = "alias/keyward-${var.tenant_id}"
  target_key_id = aws_kms_key.keyward.key_id
}
