"""What a person drives: the `mystery` command shell and the web dashboard.

A layer above both products: it imports `mystery`, `campaigns` and the `switchboard` simulator;
none of them imports it (an import contract checks it).
"""
