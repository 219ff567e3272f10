"""Decoding and rendering photos and videos: plain Python on Pillow and PyAV, no Flask, no DB.

``types`` holds the shared vocabulary; ``sniff`` decides what a file is from its bytes;
``photos`` and ``videos`` check originals and render the derived files.
"""
