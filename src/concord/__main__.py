from concord.cli.app import main

main()
