"""What sponsors and planting partners do with the catalogue: planting orders, evidence and
survival checks, the forest budget ledger, claim codes, invoices, the partner API and the
sponsors' portal. Layer: above forest, below demo and privacy.
"""
