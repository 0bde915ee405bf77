"""One module per `mystery` subcommand: parse flags, build one request, call the library, print."""
