"""The governance gateway: input fence (injection, sensitive words), PII masking, the red-line
policy, output filter, approvals, the hash-chained audit log, bad cases."""
