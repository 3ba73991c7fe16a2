"""proofs_check/theorems"""
