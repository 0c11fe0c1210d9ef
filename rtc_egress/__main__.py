from rtc_egress.cli import main

if __name__ == "__main__":
    main()
