"""Organisational life (三会一课, 主题党日): meetings, attendance and required frequencies."""
