from complaints.cli import main

main()
