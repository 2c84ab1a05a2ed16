FROM scratch AS [bold]x[/bold]
