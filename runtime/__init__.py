"""What every process needs at start: settings, the services container, the LINE seam."""
