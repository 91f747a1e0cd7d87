"""The synthetic sample cooperative: a deterministic generator of its facility layer, members, registry and history."""
