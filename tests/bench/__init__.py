"""Tests for bench/: the scripts run and print the lines other scripts parse."""
