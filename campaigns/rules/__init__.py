"""Rule packs: YAML data plus the check functions they name."""
