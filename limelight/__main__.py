from limelight.cli import entrypoint

entrypoint()
