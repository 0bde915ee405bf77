"""The compliance domain: records, who is called (phones, zones, holidays), what came before."""
