from consult_audio.cli import main

main()
