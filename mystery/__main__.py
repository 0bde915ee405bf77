from mystery.cli import main

main()
