print("tesserad")
