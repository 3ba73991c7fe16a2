"""proofs_check"""
