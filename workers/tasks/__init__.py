"""Task modules. Each task is a few lines that call one service function."""
