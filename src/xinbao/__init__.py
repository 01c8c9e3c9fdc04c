"""xinbao 信报: the working system of an organization department's information work."""
