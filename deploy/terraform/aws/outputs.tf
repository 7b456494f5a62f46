output "key_arn" {
  description = "The key URI keyward expects for aws-kms: the key ARN (arn:aws:kms:<region>:<account>:key/<key-id>)."
  value       = aws_kms_key.keyward.arn
}

output "role_arn" {
  description = "The role keyward assumes (option roleArn)."
  value       = aws_iam_role.keyward.arn
}

# The body of POST /v1/tenants/{tenant}/keys, exactly as keyward takes it. No secret in it.
output "keyward_attach_request" {
  description = "JSON body for POST /v1/tenants/<tenant>/keys."
  value = jsonencode({
    provider = "aws-kms"
    keyUri   = aws_kms_key.keyward.arn
    options = {
      roleArn    = aws_iam_role.keyward.arn
      externalId = var.external_id
    }
  })
}
