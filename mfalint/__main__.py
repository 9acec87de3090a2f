from mfalint.cli import main

main()
