"""_streaming"""
