"""``python -m bayesgrowth``: the same command line as the ``bayesgrowth`` script."""

from bayesgrowth.cli import main

if __name__ == "__main__":
    main()
