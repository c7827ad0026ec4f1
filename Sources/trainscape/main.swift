print("trainscape")
