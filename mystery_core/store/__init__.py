"""Store plumbing shared by both products: engines for one URL, and the migrations of every branch."""
